import json
import tarfile

import pytest
from conftest import OFFLINE_ENV, as_json, vidx_subprocess

from vidx.config import Home
from vidx.model import registry
from vidx.model.manifest import Manifest, fingerprint

KAGGLE = "https://www.kaggle.com/models/deepmind/mil-nce/TensorFlow1/s3d/1"


@pytest.mark.parametrize("kind", ["tf1", "serve", "tf2", "tar", "vocab"])
def test_import_each_source_kind(run, models, vidx_home, kind):
    result = run("model", "import", models[kind])
    assert result.output.startswith(f"Imported {models[kind]}\n")
    manifest = registry.active_manifest(Home(vidx_home))
    assert manifest.inputs == {"words": [-1], "images": [-1, 32, 224, 224, 3]}
    assert manifest.outputs == {"text_embedding": [-1, 512], "video_embedding": [-1, 512]}
    folder = registry.active_dir(Home(vidx_home))
    assert (folder / "text.xml").is_file() and (folder / "video.xml").is_file()


def test_manifest_and_fingerprint(run, models, imported):
    manifest = registry.active_manifest(Home(imported))
    assert manifest.fingerprint == fingerprint(models["tf1"])
    assert manifest.source == str(models["tf1"])
    assert manifest.files == {"text": "text.xml", "video": "video.xml"}
    data = json.loads((registry.active_dir(Home(imported)) / "manifest.json").read_text())
    assert set(data) >= {
        "source",
        "fingerprint",
        "vidx_version",
        "openvino_version",
        "inputs",
        "outputs",
        "quantization",
    }


def test_same_fingerprint_is_a_no_op_unless_forced(run, models, imported):
    folder = registry.active_dir(Home(imported))
    before = (folder / "manifest.json").stat().st_mtime_ns
    again = run("model", "import", models["tf1"])
    short = fingerprint(models["tf1"])[:16]
    assert again.output == f"Already imported (fingerprint {short}): nothing to do; --force converts again.\n"
    assert (folder / "manifest.json").stat().st_mtime_ns == before
    forced = run("model", "import", models["tf1"], "--force")
    assert forced.output.startswith("Imported ")
    assert (registry.active_dir(Home(imported)) / "manifest.json").stat().st_mtime_ns != before


def test_tar_gz_of_the_same_model_has_the_same_fingerprint(run, models, imported):
    result = run("model", "import", models["tar"])
    assert result.output.startswith("Already imported")


def _bad_sources(tmp_path, models):
    not_a_model = tmp_path / "not_a_model"
    not_a_model.mkdir()
    (not_a_model / "readme.txt").write_text("hello")
    corrupt = tmp_path / "broken.tar.gz"
    corrupt.write_bytes(models["tar"].read_bytes()[:300])
    not_gzip = tmp_path / "notes.tar.gz"
    not_gzip.write_text("not an archive at all\n")
    empty_tar = tmp_path / "empty.tar.gz"
    with tarfile.open(empty_tar, "w:gz") as tar:
        tar.add(not_a_model / "readme.txt", arcname="readme.txt")
    nosig = models["nosig"]
    return [
        (
            tmp_path / "missing",
            f"Error: {tmp_path / 'missing'}: no such file or folder; give a SavedModel folder, a .tar.gz or a hub URL",
        ),
        (not_a_model, f"Error: {not_a_model} is not a SavedModel folder (no saved_model.pb in it)"),
        (
            nosig,
            f"Error: {nosig} lacks the `video` and `text` signatures of S3D MIL-NCE (missing images, words, video_embedding, text_embedding; it has x, y)",
        ),
        (corrupt, f"Error: Cannot extract {corrupt}: "),
        (
            not_gzip,
            f"Error: Cannot extract {not_gzip}: damaged, or not a tar archive (plain, gzip, bzip2 or xz); "
            "download the archive again",
        ),
        (empty_tar, f"Error: {empty_tar} holds no SavedModel (no saved_model.pb inside)"),
    ]


def test_bad_sources_fail_in_one_line_and_keep_the_installed_model(run, models, imported, tmp_path):
    home = Home(imported)
    before = registry.active_manifest(home)
    files_before = sorted(p.name for p in home.models.iterdir())
    for source, message in _bad_sources(tmp_path, models):
        result = run("model", "import", source, check=False)
        assert result.exit_code == 1, result.output
        lines = result.output.splitlines()
        assert len(lines) == 1, result.output
        if message.endswith(": "):
            assert lines[0].startswith(message) and lines[0].endswith("; download the archive again")
        else:
            assert lines[0] == message
        assert registry.active_manifest(home) == before
        assert sorted(p.name for p in home.models.iterdir()) == files_before


def test_offline_default_import_says_how_to_import_a_copy():
    result = vidx_subprocess("model", "import", env=OFFLINE_ENV, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: Could not download the model from {KAGGLE} (no network connection).\n"
        "On a machine with internet, download the model archive from that page (Download > .tar.gz),\n"
        "copy it here and run: vidx model import /path/to/archive.tar.gz\n"
    )


def test_first_query_imports_the_default_with_a_notice(tmp_path, library):
    result = vidx_subprocess("index", library["root"] / "colours", env=OFFLINE_ENV, check=False)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"No model installed yet: importing {KAGGLE} (once)."
    assert lines[1] == f"Error: Could not download the model from {KAGGLE} (no network connection)."
    assert len(lines) == 4


def test_default_source_is_a_setting(run, models, monkeypatch, library):
    monkeypatch.setenv("VIDX_MODEL_SOURCE", str(models["tf1"]))
    result = run("index", library["root"] / "colours", "--quiet")
    assert "No model installed yet" in result.output
    assert as_json(run("status", "--json"))["model"] == str(models["tf1"])


def test_model_info_json(run, imported):
    data = as_json(run("model", "info", "--json"))
    assert data["precision"] == "fp32"
    assert data["inputs"]["images"] == [-1, 32, 224, 224, 3]
    assert data["files"]["text"]["xml"].endswith("text.xml")
    assert data["files"]["text"]["bytes"] > 0
    assert data["quantization"] is None
    assert Manifest.load(registry.active_dir(Home(imported))).fingerprint == data["fingerprint"]


def test_model_info_without_model(run):
    result = run("model", "info", check=False)
    assert result.exit_code == 1
    assert result.output.startswith("Error: No model installed in ")
    assert result.output.endswith("; run `vidx model import`\n")


def test_irs_keep_fp32_weights(imported):
    import openvino as ov

    folder = registry.active_dir(Home(imported))
    for name in ("text.xml", "video.xml"):
        model = ov.Core().read_model(str(folder / name))
        types = {
            op.get_output_element_type(0).get_type_name() for op in model.get_ops() if op.get_type_name() == "Constant"
        }
        assert "f16" not in types, f"{name} stores FP16 weights"


def test_vocabulary_file_model_embeds_like_tensorflow(run, models):
    import numpy as np
    import tensorflow as tf

    run("model", "import", models["vocab"])
    texts = ["Red moving", "blue green", "nothing known"]
    ours = np.array(as_json(run("embed", "text", *texts, "--json"))["vectors"])
    theirs = tf.saved_model.load(str(models["vocab"]), tags=[]).signatures["text"](words=tf.constant(texts))
    np.testing.assert_allclose(ours, theirs["text_embedding"].numpy(), atol=1e-6)
    assert ours[0, 0] == 1.0 and ours[0, 5] == 1.0


def test_conversion_failure_names_the_operations():
    from vidx.model.convert import _first_line

    error = RuntimeError(
        "Check 'false' failed at x.cpp:151:\nSummary:\n-- Conversion is failed for: HashTableV2, Foo\n"
    )
    assert _first_line(error) == "unsupported operations: HashTableV2, Foo"
    assert _first_line(RuntimeError("plain failure\nmore")) == "plain failure"
