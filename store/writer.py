"""Writes to the catalogue with the FAISS file kept in step: the one place where SQLite and FAISS change together."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import vectors
from .catalog import Catalog, ClipVector, VideoInfo

# Save the FAISS file at least this often during a long run, so queries see new videos before it ends.
SAVE_EVERY = 60.0


class StoreWriter:
    """SQLite commits first (it is the truth), then the in-memory FAISS index follows; the file is written now and
    then and when the writer closes, so `kill -9` leaves at most a lagging file that the next writer rebuilds.

    A current file is loaded only when something changes, and written back only then, so a cron run over an
    unchanged library never reads or rewrites a large index.
    """

    def __init__(self, catalog: Catalog, save_every: float = SAVE_EVERY):
        self.catalog = catalog
        self.save_every = save_every
        self.saved_at = time.monotonic()
        self.stale = False
        self.changed = False
        self._index = None
        self._loaded = False
        if self.catalog.faiss.generation != catalog.generation and catalog.counts()["clips"]:
            # After a crash the file lags SQLite: rebuild now, before anything more is committed.
            self._index = self._built()
            self._loaded = self.changed = True
        elif self.catalog.faiss.path is None:
            self._loaded = True  # nothing indexed yet: the first vectors start a new index

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.save()

    @property
    def index(self):
        if not self._loaded:
            self._index = self.catalog.faiss.load()
            self._loaded = True
        return self._index

    def _built(self):
        ids, vecs = self.catalog.all_vectors()
        return vectors.build_index(ids, vecs, self.catalog.faiss.ann_threshold) if len(ids) else None

    def _apply(self, removed: list[int], added: list[int], vecs: list[np.ndarray]) -> None:
        if not removed and not added:
            return
        self.changed = True
        if removed and self.index is not None:
            if vectors.supports_removal(self.index):
                self.index.remove_ids(vectors.ids_selector(removed))
            else:
                # The approximate index cannot drop vectors; queries skip ids SQLite no longer has until the
                # rebuild at save time.
                self.stale = True
        if added:
            if self.index is None:
                self._index = vectors.new_index(len(vecs[0]))
            vectors.add(self.index, added, vecs)
        if time.monotonic() - self.saved_at > self.save_every:
            self.save()

    def save_video(self, root_id: int, path: str, stat: tuple[int, int], info: VideoInfo, clips: list[ClipVector]):
        """Store a video and its clip vectors in one transaction; returns the video id."""
        with _in_step():
            video_id, removed, added = self.catalog.save_video(root_id, path, stat, info, clips)
            self._apply(removed, added, [c.vector for c in clips])
        return video_id

    def save_failure(self, root_id: int, path: str, stat: tuple[int, int], error: str) -> None:
        with _in_step():
            self._apply(self.catalog.save_failure(root_id, path, stat, error), [], [])

    def delete_video(self, video_id: int) -> None:
        with _in_step():
            self._apply(self.catalog.delete_video(video_id), [], [])

    def move_video(self, video_id: int, root_id: int, path: str, stat: tuple[int, int]) -> None:
        self.catalog.move_video(video_id, root_id, path, stat)

    def touch_video(self, video_id: int, stat: tuple[int, int]) -> None:
        self.catalog.touch_video(video_id, stat)

    def copy_video(self, source_id: int, root_id: int, path: str, stat: tuple[int, int]) -> None:
        with _in_step():
            added, vecs = self.catalog.copy_video(source_id, root_id, path, stat)
            self._apply([], added, vecs)

    def remove_root(self, root: Path) -> None:
        with _in_step():
            self._apply(self.catalog.remove_root(str(root)), [], [])

    def rebuild(self) -> int:
        """Build the index anew from every stored vector; returns how many it holds."""
        self._index = self._built()
        self._loaded = self.changed = True
        self.stale = False
        return self._index.ntotal if self._index is not None else 0

    def save(self) -> None:
        if not self.changed:
            return
        if self.stale:
            self.rebuild()
        if self.index is None:
            self.catalog.faiss.clear()  # every vector left: no file is the current state of an empty catalogue
        else:
            self.catalog.faiss.save(self.index, self.catalog.generation)
        self.changed = False
        self.saved_at = time.monotonic()


@contextlib.contextmanager
def _in_step() -> Iterator[None]:
    """Hold Ctrl-C from an SQLite commit until the in-memory index has followed it: the file saved on the way
    out is named after the catalogue's generation, and must then hold exactly its clips."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
