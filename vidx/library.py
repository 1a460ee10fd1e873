"""`vidx.Library`: one home's index, for scripts, notebooks, the CLI and the web app.

It returns values and raises `VidxError`s; it never prints or exits. Notices (a model being imported on first
use) go to the `vidx` logger, and indexing progress to a callback. The work is done by parts with one job each,
sharing the open home: `Models`, `Indexing`, `Searching` and `Viewing`; this class only names the surface.
"""

from __future__ import annotations

import functools
import inspect
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidx.config import Home, Settings
from vidx.errors import CatalogDamaged

from .indexing import Indexing, RootRemoval
from .models import Models
from .open_home import OpenHome
from .searching import Searching
from .viewing import Viewing

if TYPE_CHECKING:
    import numpy as np

    from vidx.indexer.run import IndexSummary, ProgressCallback
    from vidx.searcher import Hit, SearchOptions
    from vidx.searcher.typical import TypicalScore
    from vidx.store import Catalog

__all__ = ["Library", "RootRemoval"]


def _damage_said(cls):
    """Each public method of `cls`: SQLite finding the catalogue damaged, whichever of its reads meets the damaged
    page, ends in one CatalogDamaged. Those reads are everywhere below; every one of them passes here."""
    for name, member in list(vars(cls).items()):
        if inspect.isfunction(member) and not name.startswith("_"):
            setattr(cls, name, _said(member))
    return cls


def _said(method):
    @functools.wraps(method)
    def said(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as e:
            from vidx.store.damage import is_catalogue_damage

            if not is_catalogue_damage(e):
                raise
            raise CatalogDamaged(self.home.db, str(e)) from None

    return said


@_damage_said
class Library:
    """A video library and its index, kept in one home folder.

    `home`: a folder, or None to resolve it as the CLI does ($VIDX_HOME, else $XDG_DATA_HOME/vidx).
    `settings`: `{"clip.fps": 0, ...}` on top of the home's config.toml and VIDX_* variables, or a `Settings`.
    """

    def __init__(self, home: str | os.PathLike | None = None, settings: dict | Settings | None = None):
        self._opened = OpenHome(home, settings)
        self._models = Models(self._opened)
        self._indexing = Indexing(self._opened, self._models)
        self._searching = Searching(self._opened, self._models)
        self._viewing = Viewing(self._opened)

    @property
    def settings(self) -> Settings:
        return self._opened.settings

    @property
    def home(self) -> Home:
        return self._opened.home

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._searching.close()
        self._opened.close()

    @property
    def catalog(self) -> Catalog:
        """This thread's connection to the catalogue (SQLite connections stay in the thread that made them)."""
        return self._opened.catalog

    # -- the model -------------------------------------------------------------------------------------------

    def model_folder(self, install: bool = True) -> Path | None:
        """The active model's folder; with `install`, the default source is imported first when there is none."""
        return self._models.folder() if install else self._models.installed()

    def vector_space(self) -> str:
        """Which model and precision made the vectors: indexes of different spaces are never mixed."""
        return self._models.vector_space()

    def import_model(self, source: str | None = None, force: bool = False):
        """Convert SOURCE (hub URL, SavedModel folder or .tar.gz; default model.source) into this home's IRs."""
        return self._models.import_model(source, force)

    def model_info(self) -> dict:
        """What `vidx model info --json` prints: the manifest, the precision in use and why, the IR files and
        sizes, the candidates `vidx model quantize` measured, and the speech model (`speech`, None when none is
        installed)."""
        return self._models.info()

    def import_speech(self, source: str, force: bool = False):
        """Install a Whisper speech model: a CTranslate2 folder, a .tar.gz of one, or a size name (online)."""
        return self._models.import_speech(source, force)

    def speech_info(self) -> dict | None:
        """The installed speech model (manifest, folder, whether speech.enabled is on), or None."""
        return self._models.speech_info()

    def quantize(self, calibration: str | os.PathLike | None = None, clips: int = 64, heldout: int = 8):
        """NNCF INT8 of the video IR, in full and with accuracy control, calibrated on real clips (default: the
        indexed videos); then int8, int8-mixed, bf16 (where the CPU has it) and fp32 are measured on `heldout`
        other clips and the fastest whose worst cosine to FP32 reaches model.int8_min_cosine becomes active.
        Returns the report and the choice."""
        return self._models.quantize(calibration, clips, heldout)

    def use_precision(self, precision: str) -> None:
        """Make fp32, bf16, int8 or int8-mixed the video model's precision in the home's config.toml; a precision
        `vidx model quantize` measured below model.int8_min_cosine is refused."""
        self._models.use_precision(precision)

    def videos_to_reembed(self) -> int:
        """How many indexed videos the next run re-embeds because their vectors come from another model or precision."""
        return self._models.videos_to_reembed()

    def embed_text(self, texts: Iterable[str] | str) -> np.ndarray:
        """Raw text vectors, [n, 512]."""
        return self._models.embed_text(texts)

    def embed_video(self, path: str | os.PathLike) -> list[tuple[float, float, np.ndarray]]:
        """(start, end, vector) for each clip of `path`, cut as `vidx index` cuts it."""
        return self._models.embed_video(path)

    # -- writing ---------------------------------------------------------------------------------------------

    def index(
        self,
        paths: Iterable[str | os.PathLike] | str | os.PathLike | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
        wait: float = 0.0,
        engine: str | None = None,
    ) -> IndexSummary:
        """Index the videos under `paths` (default: every folder indexed before); returns what the run did.

        Files that fail are listed in the summary's `failed`; waits up to `wait` seconds for another indexer.
        `engine`: "local" or "ray" (default: the index.engine setting; Ray's address is ray.address).
        """
        return self._indexing.index(paths, progress, retry_failed, wait, engine)

    def remove_root(self, path: str | os.PathLike, wait: float = 0.0) -> RootRemoval:
        """Forget an indexed folder and every video under it."""
        return self._indexing.remove_root(path, wait)

    def doctor(self, repair: bool = False):
        """Check that SQLite, the vector index and the files on disk agree; `repair` fixes what it can."""
        return self._indexing.doctor(repair)

    # -- reading ---------------------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load the text model now (checking it made the index), so the first search does not wait for it."""
        self._models.text_encoder()

    def is_empty(self) -> bool:
        return self._searching.is_empty()

    def search(
        self, text: str, k: int | None = None, *, options: SearchOptions | None = None, **narrowing: Any
    ) -> list[Hit]:
        """The top-k videos for `text`, each with its moment.

        `options`: a `SearchOptions`; or its fields as keywords (`clips`, `min_score`, `under`, `since`, `until`,
        `min_duration`, `max_duration`, `mode`), which replace those of `options`. Filters never shorten the top-k
        while enough videos pass. `mode`: "seen" ranks by the pictures, "said" by the words (subtitles, speech),
        "both" (the default) fuses the two; a hit whose words matched has `said`, the line, and that line's moment.
        """
        from vidx.searcher import SearchOptions

        return self._searching.search(text, SearchOptions.given(options, k=k, **narrowing))

    def typical_score(self, text: str) -> TypicalScore:
        """How the library's clips score for `text` as a rule: the best hit is no good match unless it stands out."""
        return self._searching.typical_score(text)

    def like(
        self,
        video: str | os.PathLike,
        at: float = 0.0,
        k: int | None = None,
        *,
        options: SearchOptions | None = None,
        **narrowing: Any,
    ) -> list[Hit]:
        """Query by example: the videos nearest to the clip of `video` that holds second `at`, `video` left out.
        `k`, `options` and the keywords are those of `search`."""
        from vidx.searcher import SearchOptions

        return self._searching.like(video, at, SearchOptions.given(options, k=k, **narrowing))

    def dupes(self, min_overlap: float = 0.8):
        """Groups of videos holding the same footage (`near`), or the same bytes (`exact`)."""
        return self._searching.dupes(min_overlap)

    # -- the footage behind the hits ---------------------------------------------------------------------------

    def export(self, video: str | os.PathLike, start: float, end: float, out_file: str | os.PathLike, pad: float = 0.0):
        """Write [start, end] of `video` (widened by `pad`, within the video) as H.264 MP4; returns what was written."""
        return self._viewing.export(video, start, end, out_file, pad)

    def export_hits(self, hits: list[Hit], folder: str | os.PathLike, pad: float = 0.0) -> list:
        """Each hit's moment as `<rank>-<video stem>-<start>-<end>.mp4` in `folder` (times as in
        `vidx.times.span_in_name`), in the order of `hits`."""
        return self._viewing.export_hits(hits, folder, pad)

    def thumbnail(self, clip_id: int) -> bytes | None:
        """A JPEG strip of the clip's frames, made on first request; None for an unknown clip."""
        return self._viewing.thumbnail(clip_id)

    def media_path(self, video_id: int) -> str | None:
        """The file of an indexed video, if it is still there and inside its root (not a symlink out of it)."""
        return self._viewing.media_path(video_id)

    # -- looking at it ---------------------------------------------------------------------------------------

    def roots(self) -> list[str]:
        return self.catalog.roots()

    def failures(self) -> list:
        """Files that could not be indexed, each with `path` and `error`."""
        return self.catalog.failures()

    def status(self) -> dict:
        """What `vidx status --json` prints: counts, roots, model, precision, speech model, sizes, last run."""
        return self._indexing.status()
