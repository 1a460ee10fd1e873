"""What accuracy control ranks: only the costliest groups of quantizers, by multiply-adds counted on the graph."""

from types import SimpleNamespace

import numpy as np
import pytest

from vidx.model.ranking import costliest, multiply_adds, ranking_only_costliest


def _three_convolutions():
    """[-1, 3, 8, 8] -> conv 3x3 (4 channels) -> conv 1x1 stride 2 (2) -> grouped conv 3x3 (2 groups, 4)."""
    import openvino as ov
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    x = ops.parameter([-1, 3, 8, 8], np.float32, name="clip")

    def conv(data, shape, strides, pads, name, grouped=False):
        weights = ops.constant(rng.standard_normal(shape).astype(np.float32))
        make = ops.group_convolution if grouped else ops.convolution
        out = make(data, weights, strides, pads, pads, [1, 1])
        out.set_friendly_name(name)
        return ops.relu(out)

    a = conv(x, [4, 3, 3, 3], [1, 1], [1, 1], "a")  # [-1, 4, 8, 8]
    b = conv(a, [2, 4, 1, 1], [2, 2], [0, 0], "b")  # [-1, 2, 4, 4]
    c = conv(b, [2, 2, 1, 3, 3], [1, 1], [1, 1], "c", grouped=True)  # [-1, 4, 4, 4]
    return ov.Model([c], [x])


def test_multiply_adds_per_convolution():
    assert multiply_adds(_three_convolutions()) == {
        "a": 4 * 8 * 8 * (3 * 3 * 3),
        "b": 2 * 4 * 4 * 4,
        "c": 4 * 4 * 4 * (1 * 3 * 3),
    }


def test_the_costliest_groups_keep_their_order():
    def group(*names):
        return SimpleNamespace(operations=[SimpleNamespace(node_name=n) for n in names])

    costs = {"a": 50, "b": 10, "c": 30, "d": 25}
    groups = [group("b"), group("a"), group("c"), group("b", "d"), group("unknown")]
    # A group costs what its operations cost together: b + d = 35 beats c; an unknown name costs nothing.
    assert costliest(groups, costs, 2) == [groups[1], groups[3]]
    assert costliest(groups, costs, 10) == groups


@pytest.mark.slow
def test_accuracy_control_ranks_only_the_costliest_groups():
    import nncf
    from nncf.common.factory import build_graph
    from nncf.common.utils.backend import BackendType
    from nncf.quantization.algorithms.accuracy_control import algorithm

    model = _three_convolutions()
    samples = [np.random.default_rng(i).random((1, 3, 8, 8), np.float32) for i in range(4)]
    graph = build_graph(nncf.quantize(model, nncf.Dataset(samples), subset_size=4))
    backend = algorithm.get_algo_backend(BackendType.OPENVINO)

    def ranked() -> list[list[str]]:
        ranker = algorithm.Ranker(2, nncf.Dataset(samples), backend, None, 1)
        return sorted(
            sorted(op.node_name for op in g.operations) for g in ranker.find_groups_of_quantizers_to_rank(graph)
        )

    nncf_ranker = algorithm.Ranker
    assert ranked() == [["a"], ["b"], ["c"]]
    with ranking_only_costliest(multiply_adds(model), count=2):
        assert ranked() == [["a"], ["c"]]
    assert algorithm.Ranker is nncf_ranker, "NNCF's own Ranker is back after the block"
