"""The query path works in an environment without TensorFlow, and never loads it."""

import subprocess
import sys
from pathlib import Path

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


def test_a_users_install_says_how_to_add_tensorflow_for_the_first_model(library):
    """`pip install .` has no TensorFlow: the first `vidx index` says what to install, in the clone it came from."""
    result = vidx_subprocess("index", library["root"] / "colours", prelude=BLOCK, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.endswith(
        "Error: Downloading a model needs TensorFlow Hub: pip install '.[convert]' in the vidx clone\n"
        "On a machine with internet, download the model archive from that page (Download > .tar.gz),\n"
        "copy it here and run: vidx model import /path/to/archive.tar.gz\n"
    )


def test_the_toy_model_script_without_tensorflow_says_what_to_install(tmp_path):
    script = Path(__file__).with_name("toy_model.py")
    code = f"{BLOCK}\nimport runpy\nsys.argv = ['toy_model.py', {str(tmp_path / 'toy')!r}]\n"
    code += f"runpy.run_path({str(script)!r}, run_name='__main__')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "tests/toy_model.py builds the toy model with TensorFlow: pip install '.[convert]' first\n"
