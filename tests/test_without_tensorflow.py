"""The query path works in an environment without TensorFlow, and never loads it."""

from conftest import as_json, vidx_subprocess

BLOCK = """
import sys
class _NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tensorflow_hub", "tf_keras", "keras", "nncf"):
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, _NoTensorFlow())
"""


def test_embed_text_without_tensorflow(imported):
    result = vidx_subprocess("embed", "text", "red", "blue green", "--json", prelude=BLOCK)
    vectors = as_json(result)["vectors"]
    assert vectors[0][:3] == [1.0, 0.0, 0.0]
    assert vectors[1][:3] == [0.0, 1.0, 1.0]


def test_query_without_tensorflow(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    result = vidx_subprocess("query", "red", "--json", prelude=BLOCK)
    assert as_json(result)["results"][0]["path"] == str(library["red"])
