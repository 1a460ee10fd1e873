"""File names that are not UTF-8 (old archives, Samba shares) are indexed, shown with escapes, opened by their bytes."""

import os
import shutil

import av
import pytest
from conftest import as_json

import vidx

RAW = b"caf\xe9 \xff.mp4"
SHOWN = "caf\\xe9 \\xff.mp4"


@pytest.fixture
def archive(tmp_path, library, run, imported):
    root = tmp_path / "archive"
    shutil.copytree(library["root"] / "colours", root)
    os.rename(root / "red.mp4", os.path.join(os.fsencode(root), RAW))
    run("index", root, "--quiet")
    return root


def test_indexed_and_shown_with_escapes(run, archive):
    results = as_json(run("query", "red", "--json"))["results"]
    assert results[0]["path"] == f"{archive}/{SHOWN}"
    assert f"  {archive}/{SHOWN}  0:00.0" in run("query", "red", "-k", "1").stdout
    assert as_json(run("failed", "--json")) == []
    assert as_json(run("doctor", "--json"))["healthy"] is True


def test_served_and_thumbnailed_by_its_exact_bytes(archive, library):
    with vidx.Library() as lib:
        hit = lib.search("red", k=1)[0]
        file = lib.media_path(hit.video_id)
        assert os.fsencode(file) == os.path.join(os.fsencode(archive), RAW)
        with open(file, "rb") as f:
            assert f.read() == library["red"].read_bytes()
        assert lib.thumbnail(hit.clip_id)[:2] == b"\xff\xd8"


def test_like_and_embed_take_the_name_as_given(run, archive):
    name = os.fsdecode(os.path.join(os.fsencode(archive), RAW))
    results = as_json(run("query", "--like", name, "--json"))["results"]
    assert results and f"{archive}/{SHOWN}" not in [r["path"] for r in results]
    embedded = as_json(run("embed", "video", name, "--json"))
    assert embedded["path"] == f"{archive}/{SHOWN}" and embedded["clips"]


def test_a_rename_is_a_move(run, archive):
    os.rename(os.path.join(os.fsencode(archive), RAW), os.path.join(os.fsencode(archive), b"\xe9t\xe9.mp4"))
    summary = as_json(run("index", "--json"))
    assert (summary["moved"], summary["added"], summary["removed"], summary["clips_embedded"]) == (1, 0, 0, 0)
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == f"{archive}/\\xe9t\\xe9.mp4"


def test_exported_by_its_exact_bytes_and_shown_with_escapes(run, archive, tmp_path):
    out = tmp_path / "out"
    result = run("query", "red", "-k", "1", "--export", out)
    assert result.stderr == f"exported {out}/1-{SHOWN[:-4]}-0000.0-0004.0.mp4\n"
    (written,) = os.listdir(os.fsencode(out))
    assert written == b"1-" + RAW[:-4] + b"-0000.0-0004.0.mp4"
    with av.open(os.fsdecode(os.path.join(os.fsencode(out), written))) as c:
        assert len(list(c.decode(video=0))) == 40, "the red video's 4 s at 10 fps"
    exported = as_json(run("query", "red", "-k", "1", "--json", "--export", out))["results"][0]["export"]
    assert exported == f"{out}/1-{SHOWN[:-4]}-0000.0-0004.0.mp4"
