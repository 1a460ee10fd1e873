"""Videos indexed by hand for the searcher's tests: clips of known scores against QUERY, and subtitle lines."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import numpy as np

from vidx.searcher import SearchOptions
from vidx.searcher.modes import search_text
from vidx.store import ClipVector, VideoInfo
from vidx.store.said_rows import Subtitles

QUERY = np.array([1, 0, 0, 0], np.float32)
CLIP = 2.0  # seconds a hand-made clip lasts: its bounds are exact in floats


def put(writer, root, path: Path, scores, lines=(), digest: str | None = None, mtime_ns: int = 1) -> int:
    """Index `path` (made empty on the disk) with clips of CLIP seconds scoring `scores` against QUERY (float16
    holds these exactly), the subtitle `lines` and the modification time `mtime_ns`; returns its video id."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    clips = [ClipVector(i, i * CLIP, (i + 1) * CLIP, np.array([s, 0, 0, 0], np.float32)) for i, s in enumerate(scores)]
    info = VideoInfo(digest or str(path), CLIP * len(scores), 10.0, 20 * len(scores))
    return writer.save_video(root, str(path), (1, mtime_ns), info, clips, Subtitles(list(lines)))


def on_this_thread(catalog):
    """What search_text runs beside the pictures' search (the words' ranking), run at once on this thread."""

    def beside(work):
        done = Future()
        done.set_result(work(catalog))
        return done

    return beside


def search(catalog, text: str, k: int, **options):
    """A text search as vidx.Library runs it, the words' ranking run on this thread."""
    return search_text(catalog, lambda: QUERY, text, k, 0.0, SearchOptions(k, **options), on_this_thread(catalog))


def names(hits) -> list[str]:
    return [Path(hit.path).name for hit in hits]
