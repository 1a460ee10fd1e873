"""The Library's read path: a query (text, or a clip of a video) -> its vector -> hits with their moments."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from vidx.errors import UsageError
from vidx.paths import existing_file

from .models import Models
from .open_home import OpenHome

if TYPE_CHECKING:
    import numpy as np

    from vidx.searcher import Hits, SearchOptions
    from vidx.searcher.typical import Sample, TypicalScore
    from vidx.store import Catalog

T = TypeVar("T")
WORDS_THREADS = 4  # words sides searched at once (the web app answers several queries together)


class Searching:
    """Searches of one home's index, by text or by example, and its duplicates."""

    def __init__(self, opened: OpenHome, models: Models):
        self.opened = opened
        self.models = models
        self._words: ThreadPoolExecutor | None = None
        self._once = threading.Lock()  # makes _words and _sample once
        self._sample: Sample | None = None

    def close(self) -> None:
        if self._words is not None:
            self._words.shutdown()
            self._words = None

    def is_empty(self) -> bool:
        return not self.opened.catalog.has_clips()

    def search(self, text: str, options: SearchOptions) -> Hits:
        from vidx.searcher import check_query

        check_query(text)
        if options.clips or options.mode == "seen":
            return self._nearest(lambda: self.models.text_encoder().embed([text])[0], options)
        return self._with_words(text, options)

    def _with_words(self, text: str, options: SearchOptions) -> Hits:
        """Ranked by the words alone, or fused with the pictures (searcher.modes)."""
        from vidx.searcher import Hits
        from vidx.searcher.modes import search_text

        settings, catalog = self.opened.settings, self.opened.catalog
        if self.is_empty():
            return Hits()
        k, margin = options.count(settings.search.k), settings.search.moment_margin

        def embed() -> np.ndarray:
            # The model is loaded here (in a new process: OpenVINO imported, the model compiled), after the words'
            # ranking has started beside, when there are words to rank: a cold `vidx query` does both at once.
            return self.models.text_encoder().embed([text])[0]

        return search_text(catalog, embed, text, k, margin, options, self._beside)

    def _beside(self, work: Callable[[Catalog], T]) -> Future[T]:
        """`work(catalog)` on a thread of its own, with that thread's own connection, while this one searches the
        pictures: SQLite and FAISS both let go of the GIL, so the two sides of a query overlap."""
        with self._once:
            if self._words is None:
                self._words = ThreadPoolExecutor(WORDS_THREADS, thread_name_prefix="vidx-words")
        return self._words.submit(lambda: work(self.opened.catalog))

    def typical_score(self, text: str) -> TypicalScore:
        from vidx.searcher.typical import Sample, TypicalScore, typical_score

        if self.is_empty():
            return TypicalScore(0.0, 0.0, 0)
        with self._once:
            if self._sample is None:
                self._sample = Sample()
        vectors = self._sample.vectors(self.opened.catalog)
        return typical_score(vectors, self.models.text_encoder().embed([text])[0])

    def like(self, video: str | os.PathLike, at: float, options: SearchOptions) -> Hits:
        from vidx.media.decode import clip_at
        from vidx.model.pixels import scale

        if options.mode == "said":
            raise UsageError("a query by example finds videos by their pictures: the said mode does not apply")
        path = existing_file(video)

        def vector() -> np.ndarray:
            clip = clip_at(path, self.opened.settings.clip, at)
            return self.models.video_encoder().embed(scale(clip.frames[None]))[0]

        return self._nearest(vector, options, exclude=path)

    def _nearest(self, vector: Callable[[], np.ndarray], options: SearchOptions, exclude: Path | None = None) -> Hits:
        """Hits for the query vector `vector()` makes, computed only when the index has something to find."""
        from vidx.searcher import Hits, search_vector
        from vidx.searcher.moments import with_moments

        settings, catalog = self.opened.settings, self.opened.catalog
        if self.is_empty():
            return Hits()
        query = vector()
        k = options.count(settings.search.k)
        # A query by example leaves out its video, and the exact copies of it, whatever they are called.
        content = _content_hash(exclude) if exclude else None
        hits = search_vector(
            catalog, query, k, options.clips, options.min_score, options.under, exclude, options.filters, content
        )
        if options.clips:
            return hits
        return Hits(with_moments(catalog, query, hits, settings.search.moment_margin), hits.deleted)

    def dupes(self, min_overlap: float):
        from vidx.searcher.dupes import check_overlap, find_duplicates

        check_overlap(min_overlap)
        return find_duplicates(self.opened.catalog, min_overlap)


def _content_hash(path: Path) -> str:
    """The hash `vidx index` keeps of a file's bytes (only a query by example needs the indexer's module)."""
    from vidx.indexer.plan import content_hash

    return content_hash(path)
