"""Inline vocabulary files into lookup tables, so OpenVINO can convert text branches built on them.

OpenVINO's TensorFlow frontend converts a HashTableV2 filled from constants (LookupTableImportV2) but not
one filled from an asset file (InitializeTableFromTextFileV2). This rewrites each such initializer into an
import of the file's keys and values as constants, in a copy of the SavedModel; the graph computes the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from vidx.errors import VidxError

TEXT_INIT = "InitializeTableFromTextFileV2"
WHOLE_LINE, LINE_NUMBER = -2, -1


def needs_inlining(savedmodel: Path) -> bool:
    return TEXT_INIT.encode() in (savedmodel / "saved_model.pb").read_bytes()


def inline(savedmodel: Path, out: Path) -> Path:
    """`_inline` in a child process: TensorFlow's protobuf beside OpenVINO's TF frontend crashes the importer."""
    # Not `python -m`, which puts the working folder first on sys.path: from a clone, its vidx/ folder would hide the
    # installed package.
    code = "import runpy, sys; del sys.path[0]; runpy.run_module('vidx.model.vocab', run_name='__main__')"
    result = subprocess.run(
        [sys.executable, "-c", code, str(savedmodel), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.startswith("vidx: ")]
        reason = lines[-1][len("vidx: ") :] if lines else f"{savedmodel}: its vocabulary files could not be inlined"
        raise VidxError(reason)
    return out


def _inline(savedmodel: Path, out: Path) -> Path:
    """A copy of `savedmodel` in `out` whose text-file tables are filled from constants instead."""
    from tensorflow.core.framework import attr_value_pb2, node_def_pb2, tensor_pb2, types_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((savedmodel / "saved_model.pb").read_bytes())
    for meta in proto.meta_graphs:
        assets = {a.tensor_info.name.split(":")[0]: a.filename for a in meta.asset_file_def}
        graph = meta.graph_def
        consts = {n.name: n for n in graph.node if n.op == "Const"}
        tables = {n.name: n for n in graph.node if n.op in ("HashTableV2", "HashTable")}
        added = []
        for node in graph.node:
            if node.op != TEXT_INIT:
                continue
            table_name, file_name = (i.split(":")[0].lstrip("^") for i in node.input[:2])
            path = _asset_path(savedmodel, assets.get(file_name), consts.get(file_name))
            table = tables.get(table_name)
            key_type = table.attr["key_dtype"].type if table else types_pb2.DT_STRING
            value_type = table.attr["value_dtype"].type if table else types_pb2.DT_INT64
            keys, values = _read(path, node.attr, key_type, value_type)
            keys_node = _const(node_def_pb2, attr_value_pb2, tensor_pb2, f"{node.name}/vidx_keys", keys, key_type)
            values_node = _const(
                node_def_pb2, attr_value_pb2, tensor_pb2, f"{node.name}/vidx_values", values, value_type
            )
            added += [keys_node, values_node]
            control = [i for i in node.input[2:] if i.startswith("^")]
            node.op = "LookupTableImportV2"
            del node.input[:]
            node.input.extend([table_name, keys_node.name, values_node.name, *control])
            for attr in list(node.attr):
                del node.attr[attr]
            node.attr["Tin"].type = key_type
            node.attr["Tout"].type = value_type
        # Constants go before their consumer: OpenVINO's frontend links a node only to inputs it has already read.
        nodes = [*added, *graph.node]
        del graph.node[:]
        graph.node.extend(nodes)
    for meta in proto.meta_graphs:
        del meta.asset_file_def[:]  # the vocabularies now live in the graph
        for collection in ("asset_filepaths", "saved_model_assets"):
            if collection in meta.collection_def:
                del meta.collection_def[collection]
    if any(TEXT_INIT in str(f.node_def) for m in proto.meta_graphs for f in m.graph_def.library.function):
        raise VidxError(f"{savedmodel}: a vocabulary file initialises a table inside a tf.function; export it as TF1")
    shutil.copytree(savedmodel, out)
    (out / "saved_model.pb").write_bytes(proto.SerializeToString())
    return out


def _asset_path(savedmodel: Path, asset: str | None, const) -> Path:
    candidates = []
    if asset:
        candidates.append(savedmodel / "assets" / asset)
    if const is not None:
        stored = const.attr["value"].tensor.string_val
        if stored:
            name = Path(stored[0].decode())
            candidates += [savedmodel / "assets" / name.name, name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise VidxError(f"{savedmodel}: a vocabulary file its text branch needs is missing from assets/")


def _read(path: Path, attrs, key_type: int, value_type: int) -> tuple[list, list]:
    from tensorflow.core.framework import types_pb2

    delimiter = attrs["delimiter"].s.decode() or "\t"
    key_index, value_index = attrs["key_index"].i, attrs["value_index"].i
    size = attrs["vocab_size"].i
    offset = attrs["offset"].i if "offset" in attrs else 0
    lines = path.read_text(encoding="utf-8").splitlines()
    if size > 0:
        lines = lines[:size]

    def column(line_number: int, line: str, index: int, dtype: int) -> str | float | int:
        value: int | str
        if index == LINE_NUMBER:
            value = line_number + offset
        elif index == WHOLE_LINE:
            value = line
        else:
            value = line.split(delimiter)[index]
        if dtype == types_pb2.DT_STRING:
            return str(value)
        if dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE):
            return float(value)
        return int(value)

    keys = [column(n, line, key_index, key_type) for n, line in enumerate(lines)]
    values = [column(n, line, value_index, value_type) for n, line in enumerate(lines)]
    return keys, values


def _const(node_def_pb2, attr_value_pb2, tensor_pb2, name: str, values: list, dtype: int):
    from tensorflow.core.framework import tensor_shape_pb2, types_pb2

    tensor = tensor_pb2.TensorProto(dtype=dtype)
    tensor.tensor_shape.CopyFrom(
        tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=len(values))])
    )
    if dtype == types_pb2.DT_STRING:
        tensor.string_val.extend(v.encode() for v in values)
    else:
        # Packed bytes, as TensorFlow itself writes them: OpenVINO's frontend reads numbers from tensor_content.
        numpy_type = {types_pb2.DT_INT64: "<i8", types_pb2.DT_INT32: "<i4", types_pb2.DT_FLOAT: "<f4"}.get(dtype, "<f8")
        tensor.tensor_content = np.asarray(values, dtype=numpy_type).tobytes()
    node = node_def_pb2.NodeDef(name=name, op="Const")
    node.attr["dtype"].CopyFrom(attr_value_pb2.AttrValue(type=dtype))
    node.attr["value"].CopyFrom(attr_value_pb2.AttrValue(tensor=tensor))
    return node


if __name__ == "__main__":
    try:
        _inline(Path(sys.argv[1]), Path(sys.argv[2]))
    except VidxError as e:
        print(f"vidx: {e}", file=sys.stderr)
        sys.exit(1)
    except ImportError:
        # A user's install (`pip install .`) has no TensorFlow: importing a model is what the convert extra is for.
        print(
            f"vidx: {sys.argv[1]}: its vocabulary files are read with TensorFlow: pip install '.[convert]'",
            file=sys.stderr,
        )
        sys.exit(1)
