"""Installing the speech model: a CTranslate2 Whisper folder, a .tar.gz of one, or a size name when online."""

import json
import os
import tarfile

import pytest
from conftest import OFFLINE_ENV

from vidx.config import Home
from vidx.errors import VidxError
from vidx.model.speech_import import import_speech
from vidx.model.speech_registry import active_speech_dir, active_speech_manifest

FILES = {"model.bin": 145217532, "config.json": 2309, "tokenizer.json": 2203239, "vocabulary.txt": 459861}


def refused(home, source) -> str:
    with pytest.raises(VidxError) as caught:
        import_speech(Home(home), str(source))
    return str(caught.value)


def test_a_folder_is_installed_and_active(vidx_home, whisper_model):
    home = Home(vidx_home)
    assert active_speech_dir(home) is None and active_speech_manifest(home) is None
    result = import_speech(home, str(whisper_model))
    assert not result.skipped
    assert result.folder == vidx_home / "models" / "speech" / result.manifest.fingerprint[:16]
    assert active_speech_dir(home) == result.folder
    manifest = active_speech_manifest(home)
    assert manifest.source == str(whisper_model) and manifest.files == FILES and manifest.languages == 99
    assert sorted(p.name for p in result.folder.iterdir()) == sorted([*FILES, "manifest.json"])
    assert json.loads((result.folder / "manifest.json").read_text())["fingerprint"] == result.manifest.fingerprint
    again = import_speech(home, str(whisper_model))
    assert again.skipped and again.folder == result.folder
    assert not import_speech(home, str(whisper_model), force=True).skipped
    assert sorted(p.name for p in (vidx_home / "models" / "speech").iterdir()) == ["active", result.folder.name]


def test_an_archive_of_a_folder(vidx_home, whisper_model, tmp_path):
    archive = tmp_path / "whisper-base.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(whisper_model, arcname="faster-whisper-base")
    result = import_speech(Home(vidx_home), str(archive))
    assert result.manifest.source == str(archive) and result.manifest.files == FILES
    # The same model however it came: same fingerprint as the folder.
    assert import_speech(Home(vidx_home), str(whisper_model)).skipped


def test_bad_sources_are_one_line(vidx_home, tmp_path):
    pytest.importorskip("faster_whisper")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.tar.gz").write_bytes(b"not gzip")
    assert (
        refused(vidx_home, tmp_path / "notes.txt")
        == f"{tmp_path}/notes.txt is neither a Whisper model folder nor a .tar.gz of one"
    )
    assert refused(vidx_home, tmp_path / "empty") == (
        f"{tmp_path}/empty is not a CTranslate2 Whisper model folder "
        "(no model.bin, config.json, tokenizer.json, vocabulary.* in it)"
    )
    assert refused(vidx_home, tmp_path / "broken.tar.gz") == (
        f"Cannot extract {tmp_path}/broken.tar.gz: damaged, or not a tar archive (plain, gzip, bzip2 or xz); "
        "copy the archive again"
    )
    assert refused(vidx_home, "huge") == (
        "huge: no such folder or file, and not a model size (tiny.en, tiny, base.en, base, small.en, small, "
        "medium.en, medium, large-v1, large-v2, large-v3, large, distil-large-v2, distil-medium.en, "
        "distil-small.en, distil-large-v3, distil-large-v3.5, large-v3-turbo, turbo)"
    )
    assert not (vidx_home / "models" / "speech").exists() or os.listdir(vidx_home / "models" / "speech") == []


def test_a_damaged_model_is_refused_before_it_is_installed(vidx_home, whisper_model, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (damaged / name).symlink_to(whisper_model / name)
    (damaged / "model.bin").write_bytes(b"junk\n")
    message = refused(vidx_home, damaged)
    assert message.startswith(f"{damaged} is not a Whisper model CTranslate2 can load (Unsupported model binary")
    assert "\n" not in message
    assert active_speech_dir(Home(vidx_home)) is None


def test_a_size_name_offline_says_how_to_import_a_folder(vidx_home, monkeypatch):
    pytest.importorskip("faster_whisper")
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)
    assert refused(vidx_home, "base") == (
        "Cannot download the speech model 'base' (no network connection); on a machine with internet download "
        "Systran/faster-whisper-base (model.bin, config.json, tokenizer.json, vocabulary.*), copy that folder here "
        "and run: vidx model import-speech FOLDER"
    )
    assert active_speech_dir(Home(vidx_home)) is None
