"""CatalogWriter's changes on their own, read back through Catalog and said_rows: made-up vectors, no model."""

import signal

import numpy as np
import pytest

from vidx.config import Home
from vidx.errors import VectorsDamaged, VidxError
from vidx.said import Segment
from vidx.store import Catalog, ClipVector, VideoInfo, catalog_writer, said_rows
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.said_rows import Speech, Subtitles

INFO = VideoInfo("h", 6.4, 10.0, 64)


def clips(n, first=0, dim=4):
    return [ClipVector(i, i * 3.2, i * 3.2 + 3.2, np.eye(dim, dtype=np.float32)[(first + i) % dim]) for i in range(n)]


def varied(n, seed):
    vectors = np.random.default_rng(seed).standard_normal((n, 8)).astype(np.float32)
    return [ClipVector(i, i * 3.2, i * 3.2 + 3.2, vectors[i]) for i in range(n)]


@pytest.fixture
def catalog(vidx_home):
    return Catalog(Home(vidx_home))


def lines(catalog, video_id):
    query = "select start, end, text, source from said where video_id = ? order by id"
    return [Segment(*r) for r in catalog.db.execute(query, [video_id])]


def test_a_root_named_in_bytes_that_are_not_utf8_is_refused(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        assert writer.add_root(tmp_path) == writer.add_root(tmp_path) == 1
        with pytest.raises(VidxError, match=r"^/\S*odd-\\xff: the folder's own name is not UTF-8; index the folder"):
            writer.add_root(tmp_path / "odd-\udcff")
    assert catalog.roots() == [str(tmp_path)]


def test_moving_or_touching_a_video_keeps_its_clips(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        other = writer.add_root(tmp_path / "b")
        video = writer.save_video(root, str(tmp_path / "a.mp4"), (1, 2), INFO, clips(2))
        generation = catalog.generation
        writer.move_video(video, other, str(tmp_path / "b" / "odd-\udcff.mp4"), (3, 4))
        moved = catalog.video(str(tmp_path / "b" / "odd-\\xff.mp4"))
        assert (moved.id, moved.size, moved.mtime_ns, moved.file) == (video, 3, 4, str(tmp_path / "b/odd-\udcff.mp4"))
        assert catalog.db.execute("select root_id from videos").fetchall() == [(other,)]
        writer.touch_video(video, (5, 6))
        assert (catalog.video(moved.path).size, catalog.video(moved.path).mtime_ns) == (5, 6)
        assert catalog.clip_ids(video) == [1, 2] and catalog.generation == generation
        writer.set_meta("note", "kept")
        writer.set_meta("note", "changed")
    assert catalog.get_meta("note") == "changed"


def test_a_video_saved_with_words_keeps_them_and_resaving_drops_them(catalog, tmp_path):
    said = [Segment(0.0, 1.5, "hello there", "subtitles"), Segment(2.0, 3.0, "again", "subtitles")]
    heard = [Segment(0.5, 1.0, "spoken", "speech")]
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        path = str(tmp_path / "a.mp4")
        video = writer.save_video(
            root, path, (1, 1), INFO, clips(2), Subtitles(said, '["a.srt"]', 2), speech=Speech(heard, "tiny", None)
        )
        assert lines(catalog, video) == said + heard
        assert said_rows.speech(catalog.db, video) == Speech(heard, "tiny", None)
        assert said_rows.subtitle_states(catalog.db, str(tmp_path) + "/") == [
            said_rows.SubtitleState(video, path, None, '["a.srt"]')
        ]
        assert said_rows.counts(catalog.db) == {"said_segments": 3, "bitmap_subtitle_streams": 2}
        assert catalog.said_counts() == said_rows.counts(catalog.db)
        assert said_rows.unheard(catalog.db, str(tmp_path) + "/", "tiny") == []
        assert said_rows.unheard(catalog.db, str(tmp_path) + "/", "base") == [path]
        writer.save_subtitles(video, Subtitles(said[:1], "[]", 0))
        writer.save_speech(video, [], "base", "no audio stream")
        assert lines(catalog, video) == said[:1]
        assert said_rows.speech(catalog.db, video) == Speech([], "base", "no audio stream")
        assert said_rows.counts(catalog.db) == {"said_segments": 1, "bitmap_subtitle_streams": 0}
        assert writer.save_video(root, path, (2, 2), INFO, clips(1)) == video
        assert lines(catalog, video) == [] and said_rows.speech(catalog.db, video) is None
        assert said_rows.subtitle_states(catalog.db, str(tmp_path) + "/") == [
            said_rows.SubtitleState(video, path, None, None)
        ]


def test_a_copy_takes_the_sources_vectors_and_speech_but_its_own_subtitles(catalog, tmp_path):
    heard = [Segment(0.5, 1.0, "spoken", "speech")]
    own = Subtitles([Segment(0.0, 1.0, "its own", "subtitles")], "[]", 0)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        source = writer.save_video(
            root, str(tmp_path / "a.mp4"), (1, 1), INFO, clips(3), speech=Speech(heard, "t", None)
        )
        writer.copy_video(source, root, str(tmp_path / "b.mp4"), (1, 1), own)
        copy = catalog.video(str(tmp_path / "b.mp4")).id
        assert catalog.clip_ids(copy) == [4, 5, 6] and catalog.video_info(copy) == INFO
        assert np.array_equal(catalog.vectors([4, 5, 6]), catalog.vectors([1, 2, 3]))
        assert lines(catalog, copy) == own.segments + heard
        assert said_rows.speech(catalog.db, copy) == Speech(heard, "t", None)
        silent = writer.save_video(root, str(tmp_path / "c.mp4"), (1, 1), INFO, clips(1))
        writer.copy_video(silent, root, str(tmp_path / "d.mp4"), (1, 1))
        assert said_rows.speech(catalog.db, catalog.video(str(tmp_path / "d.mp4")).id) is None


def test_a_copy_of_damaged_vectors_is_refused_and_writes_nothing(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        source = writer.save_video(root, str(tmp_path / "a.mp4"), (1, 1), INFO, clips(3))
    with open(catalog.home.index_dir / "rows-00000.f16", "r+b") as f:
        f.seek(2 * 4 * 2)
        f.write(b"\x01\x02")
    with CatalogWriter(catalog) as writer:
        with pytest.raises(VectorsDamaged, match=f"^the stored vectors of video {source} are damaged$"):
            writer.copy_video(source, root, str(tmp_path / "b.mp4"), (1, 1))
    assert catalog.video(str(tmp_path / "b.mp4")) is None and catalog.counts()["clips"] == 3


def test_a_failure_drops_the_clips_of_the_file_as_it_was(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        writer.save_failure(root, str(tmp_path / "new.mp4"), (1, 1), "cannot decode \udcff")
        generation = catalog.generation
        video = writer.save_video(root, str(tmp_path / "a.mp4"), (1, 1), INFO, clips(2))
        after_save = catalog.generation
        writer.save_failure(root, str(tmp_path / "a.mp4"), (2, 2), "now broken")
        assert catalog.generation == after_save + 1 and after_save > generation
        assert catalog.clip_ids(video) == [] and catalog.video(str(tmp_path / "a.mp4")).status == "failed"
    assert [(v.path, v.error) for v in catalog.failures()] == [
        (str(tmp_path / "a.mp4"), "now broken"),
        (str(tmp_path / "new.mp4"), "cannot decode \\xff"),
    ]


def test_removing_a_root_forgets_its_videos_and_their_thumbnails(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        a, b = writer.add_root(tmp_path / "a"), writer.add_root(tmp_path / "b")
        writer.save_video(a, str(tmp_path / "a" / "1.mp4"), (1, 1), INFO, clips(2))
        kept = writer.save_video(b, str(tmp_path / "b" / "1.mp4"), (1, 1), INFO, clips(1))
        catalog.home.thumbs.mkdir(parents=True)
        (catalog.home.thumbs / "1.jpg").write_bytes(b"jpeg")
        writer.remove_root(tmp_path / "a")
    assert catalog.roots() == [str(tmp_path / "b")] and [v.id for v in catalog.videos_under(str(tmp_path))] == [kept]
    assert not (catalog.home.thumbs / "1.jpg").exists() and catalog.counts()["clips"] == 1


def test_a_writer_saves_when_the_fresh_clips_are_due_and_every_so_often(catalog, tmp_path, monkeypatch):
    catalog.ann_threshold = 40
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for v in range(9):
            writer.save_video(root, str(tmp_path / f"{v}.mp4"), (1, 1), INFO, varied(4, v))
        assert catalog.index_state().kind == "exact", "36 clips, under the threshold"
        writer.save_video(root, str(tmp_path / "9.mp4"), (1, 1), INFO, varied(4, 9))
        assert catalog.index_state().kind == "approximate" and catalog.index_state().covered == 41
        for v in range(10, 13):
            writer.save_video(root, str(tmp_path / f"{v}.mp4"), (1, 1), INFO, varied(1, v))
        assert catalog.index_state().covered == 41, "fresh clips wait for a tenth of the threshold"
        writer.save_video(root, str(tmp_path / "13.mp4"), (1, 1), INFO, varied(1, 13))
        assert catalog.index_state().covered == 45
    small = Catalog(Home(catalog.home.root))
    with CatalogWriter(small, save_every=0) as writer:
        calls = []
        monkeypatch.setattr(writer, "save", lambda: calls.append(1))
        writer.save_video(1, str(tmp_path / "15.mp4"), (1, 1), INFO, varied(1, 15))
        assert calls == [1]
        writer.save_every = 3600
        writer.save_video(1, str(tmp_path / "16.mp4"), (1, 1), INFO, varied(1, 16))
        assert calls == [1]


def test_ctrl_c_waits_until_the_rows_and_their_commit_are_in_step():
    with catalog_writer._in_step():
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
