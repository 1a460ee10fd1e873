"""What accuracy control ranks: the groups of quantizers in front of the costliest convolutions.

To choose the layers it returns to float, NNCF's accuracy control compiles and judges one model per group of
quantizers, and does it again after any step that made things worse: S3D-G has 87 groups, and one ranking took 6
minutes on 2 busy cores (BENCHMARKS.md). Its API takes no scope for the ranking, so for the one call its Ranker is
swapped for one that keeps the RANKED costliest groups. They carry most of the compute, so most of what INT8
rounds; a cheap layer that matters is missed (the full ranking's second pick on the stand-in was one of 0.6%)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

# Groups ranked: on S3D-G the 16 costliest carry 88% of the multiply-adds, and take 16 compilations to rank.
RANKED = 16


def multiply_adds(model) -> dict[str, int]:
    """Multiply-adds per clip of each convolution of an OpenVINO model, by friendly name (the name NNCF's graph
    gives it); a dimension left dynamic (the batch) counts once."""
    # Each output value takes one multiply-add per weight of its output channel: all weight dimensions but the
    # first (Convolution: [out, in, k...]) or first two (GroupConvolution: [groups, out, in, k...]).
    per_channel = {"Convolution": 1, "GroupConvolution": 2}
    costs = {}
    for op in model.get_ops():
        skip = per_channel.get(op.get_type_name())
        if skip is None:
            continue
        out = [d.get_length() if d.is_static else 1 for d in op.get_output_partial_shape(0)]
        weights = [d.get_length() if d.is_static else 1 for d in op.input_value(1).get_partial_shape()]
        costs[op.get_friendly_name()] = math.prod(out[1:]) * math.prod(weights[skip:])
    return costs


def costliest(groups: Sequence[Any], costs: dict[str, int], count: int) -> list[Any]:
    """The `count` groups (NNCF GroupToRank: `.operations` with `.node_name`) whose operations cost most, in
    their given order."""
    kept = sorted(groups, key=lambda g: sum(costs.get(op.node_name, 0) for op in g.operations), reverse=True)
    chosen = {id(g) for g in kept[:count]}
    return [g for g in groups if id(g) in chosen]


@contextlib.contextmanager
def ranking_only_costliest(costs: dict[str, int], count: int = RANKED) -> Iterator[None]:
    """Within the block, `nncf.quantize_with_accuracy_control` ranks only the `count` costliest groups."""
    from nncf.quantization.algorithms.accuracy_control import algorithm

    nncf_ranker = algorithm.Ranker

    class CostliestRanker(nncf_ranker):  # type: ignore[misc,valid-type]  # a class held in a variable
        def find_groups_of_quantizers_to_rank(self, quantized_model_graph):
            return costliest(super().find_groups_of_quantizers_to_rank(quantized_model_graph), costs, count)

    algorithm.Ranker = CostliestRanker
    try:
        yield
    finally:
        algorithm.Ranker = nncf_ranker
