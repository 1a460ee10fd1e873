"""Every process vidx starts, a decoder or the speech process, comes from lifetime.start_child: started from a
clone's own folder, it still imports the installed vidx (each also dies with its parent: test_orphans.py and
test_speech.py)."""

import pytest

from vidx.config import Home, load_settings
from vidx.indexer.decoders import DecoderPool
from vidx.indexer.plan import VideoJob
from vidx.indexer.stages import ClipReady, VideoDone
from vidx.indexer.transcriber import Transcriber


@pytest.fixture
def clone(tmp_path, monkeypatch):
    """The working folder holds a vidx/ package, as a clone's root does; a process importing it leaves `mark`
    and exits with code 3. The path of the mark is returned."""
    mark = tmp_path / "the clone's vidx was imported"
    package = tmp_path / "clone" / "vidx"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"open({str(mark)!r}, 'w').close()\nraise SystemExit(3)\n")
    monkeypatch.chdir(package.parent)
    return mark


def test_a_decoder_started_in_a_clone_imports_the_installed_vidx(library, vidx_home, clone):
    red = library["red"]
    pool = DecoderPool(load_settings(Home(vidx_home)), 1, [VideoJob(red, 1, red.stat().st_size, 0, "")])
    try:
        ends = [(e.job.path, type(e)) for e in pool.events() if not isinstance(e, ClipReady)]
    finally:
        pool.close()
    assert ends == [(red, VideoDone)]
    assert not clone.exists()


def test_the_speech_process_started_in_a_clone_imports_the_installed_vidx(library, tmp_path, clone):
    # A video without a sound track: the speech process answers without loading a model, so none is needed.
    red = library["red"]
    with Transcriber(tmp_path / "no model", threads=1, timeout=60) as transcriber:
        transcriber.submit(red)
        heard = [(t.path, t.error) for t in transcriber.finish()]
    assert heard == [(red, "")]
    assert not clone.exists()
