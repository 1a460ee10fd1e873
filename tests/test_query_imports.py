"""`vidx query TEXT` imports only what a query uses: no video decoding, no sqlite-utils (which imports pandas when
it is installed), no Ray, no TensorFlow, whichever extras are installed."""

import re

from conftest import as_json, vidx_subprocess

UNUSED_BY_A_QUERY = ("cv2", "av", "sqlite_utils", "pandas", "pyarrow", "ray", "tensorflow")


def test_query_imports_only_what_it_uses(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    result = vidx_subprocess("query", "red", "--json", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert as_json(result)["results"][0]["path"] == str(library["red"])
    # -X importtime lines: "import time: self [us] | cumulative | imported package", nested names indented.
    imported_names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", result.stderr, re.MULTILINE))
    assert imported_names, result.stderr[:2000]
    top_level = {name.split(".")[0] for name in imported_names}
    assert sorted(top_level & set(UNUSED_BY_A_QUERY)) == []
