"""`vidx.Library`: one home's index, for scripts, notebooks, the CLI and the web app.

It returns values and raises `VidxError`s; it never prints or exits. Notices (a model being imported on first
use) go to the `vidx` logger, and indexing progress to a callback.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vidx.config import ENGINES, PRECISIONS, Home, Settings, load_settings, resolve_home, write_user_setting
from vidx.errors import ModelMismatch, NoCalibrationVideos, NoSuchFile, NotWritable, UsageError, VidxError

if TYPE_CHECKING:
    import numpy as np

    from vidx.indexer.run import IndexSummary, ProgressCallback
    from vidx.searcher import Hit
    from vidx.store import Catalog

log = logging.getLogger("vidx")


@dataclass(frozen=True)
class RootRemoval:
    root: str
    videos: int  # indexed videos forgotten
    failed: int  # failed files forgotten


class Library:
    """A video library and its index, kept in one home folder.

    `home`: a folder, or None to resolve it as the CLI does ($VIDX_HOME, else $XDG_DATA_HOME/vidx).
    `settings`: `{"clip.fps": 0, ...}` on top of the home's config.toml and VIDX_* variables, or a `Settings`.
    """

    def __init__(self, home: str | os.PathLike | None = None, settings: dict | Settings | None = None):
        if isinstance(settings, Settings):
            self.settings, self._overrides = settings, settings.overrides
        else:
            self._overrides = dict(settings or {})
            self.settings = load_settings(Home(resolve_home(home)), self._overrides)
        self.home = self.settings.home
        self._local = threading.local()
        self._catalogs: list[Catalog] = []
        self._guard = threading.RLock()  # encoders are made once, whichever thread asks first
        self._text = None
        self._video = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._guard:
            for catalog in self._catalogs:
                catalog.close()
            self._catalogs.clear()
        self._local = threading.local()

    @property
    def catalog(self) -> Catalog:
        """This thread's connection to the catalogue (SQLite connections stay in the thread that made them)."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is None:
            from vidx.store import Catalog

            catalog = Catalog(self.home, self.settings.index.ann_threshold)
            self._local.catalog = catalog
            with self._guard:
                self._catalogs.append(catalog)
        return catalog

    # -- the model -------------------------------------------------------------------------------------------

    def model_folder(self, install: bool = True) -> Path | None:
        """The active model's folder; with `install`, the default source is imported first when there is none."""
        from vidx.model import registry

        folder = registry.active_dir(self.home)
        if folder is not None or not install:
            return folder
        log.info("No model installed yet: importing %s (once).", self.settings.model.source)
        return self.import_model().folder

    def vector_space(self) -> str:
        """Which model and precision made the vectors: indexes of different spaces are never mixed."""
        from vidx.model.manifest import Manifest

        fingerprint = Manifest.load(self.model_folder()).fingerprint
        return f"{fingerprint[:16]}:{self.settings.model.precision}"

    def _check_same_model(self, folder: Path) -> None:
        """Text vectors of one model against video vectors of another would rank at random."""
        from vidx.model.manifest import Manifest

        stored = (self.catalog.get_meta("vector_space") or "").split(":")[0]
        active = Manifest.load(folder).fingerprint[:16]
        if stored and stored != active:
            raise ModelMismatch(
                f"The index was built with another model ({stored}); run `vidx index` to re-embed it with the "
                f"active one ({active})"
            )

    def _text_encoder(self):
        with self._guard:
            if self._text is None:
                from vidx.model.runtime import TextEncoder

                folder = self.model_folder()
                self._check_same_model(folder)
                self._text = TextEncoder(self.home, folder)
            return self._text

    def _video_encoder(self):
        with self._guard:
            if self._video is None:
                from vidx.model.runtime import VideoEncoder

                self._video = VideoEncoder.from_settings(self.settings, self.model_folder())
            return self._video

    def import_model(self, source: str | None = None, force: bool = False):
        """Convert SOURCE (hub URL, SavedModel folder or .tar.gz; default model.source) into this home's IRs."""
        from vidx.model.importer import import_model

        self.home.require_writable()
        return import_model(self.home, source or self.settings.model.source, force=force)

    def model_info(self) -> dict:
        """What `vidx model info --json` prints: the manifest, the precision in use, the IR files and sizes."""
        from dataclasses import asdict

        from vidx.model.registry import active_manifest, require_active

        manifest, folder = active_manifest(self.home), require_active(self.home)
        files = {}
        for role, name in manifest.files.items():
            xml = folder / name
            files[role] = {"xml": str(xml), "bytes": xml.stat().st_size + xml.with_suffix(".bin").stat().st_size}
        return {**asdict(manifest), "precision": self.settings.model.precision, "folder": str(folder), "files": files}

    def quantize(self, calibration: str | os.PathLike | None = None, clips: int = 64, heldout: int = 8):
        """NNCF INT8 of the video IR, calibrated on real clips (default: the indexed videos); made active only if
        its worst cosine to FP32 on `heldout` clips reaches model.int8_min_cosine. Returns the report."""
        from vidx.indexer.decode import clips_in_turn
        from vidx.model.quantize import quantize

        self.home.require_writable()
        self.model_folder()
        paths = self._calibration_paths(calibration)
        report = quantize(self.settings, (c.pixels for c in clips_in_turn(paths, self.settings.clip)), clips, heldout)
        if report.accepted:
            self.use_precision("int8")
        return report

    def _calibration_paths(self, folder: str | os.PathLike | None) -> list[Path]:
        from vidx.indexer.walk import walk

        if folder is not None:
            root = Path(os.path.abspath(os.path.expanduser(os.fspath(folder))))
            if not root.is_dir():
                raise VidxError(f"{os.fspath(folder)}: not a folder of videos")
            paths = list(walk(root, self.settings.index.extensions))
        else:
            catalog = self.catalog
            paths = [Path(v.path) for r in catalog.roots() for v in catalog.videos_under(r) if v.status == "ok"]
        if not paths:
            raise NoCalibrationVideos("No videos to calibrate on: index some, or give a folder of real videos")
        return paths

    def use_precision(self, precision: str) -> None:
        """Make fp32, bf16 or int8 the video model's precision in the home's config.toml."""
        from vidx.model.registry import active_manifest
        from vidx.model.runtime import cpu_has_bf16

        if precision not in PRECISIONS:
            raise UsageError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        q = active_manifest(self.home).quantization
        if precision == "int8" and not q:
            raise VidxError("No INT8 model yet: run `vidx model quantize` first")
        if precision == "int8" and not q["accepted"]:
            raise VidxError(
                f"The INT8 model failed its check (min cosine {q['cosine_min']:.4f} < {q['guard']}); "
                "quantize again with more clips"
            )
        if precision == "bf16" and not cpu_has_bf16():
            raise VidxError("This CPU has no bf16 support (AVX512_BF16 or AMX); use fp32 or int8")
        self.home.require_writable()
        write_user_setting(self.home, "model.precision", precision)
        self.settings = load_settings(self.home, self._overrides)
        self._video = None

    def videos_to_reembed(self) -> int:
        """How many indexed videos the next run re-embeds because their vectors come from another model or precision."""
        if not self.home.db.exists() or self.model_folder(install=False) is None:
            return 0
        stored = self.catalog.get_meta("vector_space")
        return self.catalog.counts()["videos"] if stored and stored != self.vector_space() else 0

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
        from vidx.indexer.lock import index_lock
        from vidx.indexer.run import LocalEngine, resolve_roots, run_index
        from vidx.model.runtime import VideoEncoder

        engine = engine or self.settings.index.engine
        if engine not in ENGINES:
            raise UsageError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if engine == "ray":
            ray_engine = _ray_engine()
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        roots = resolve_roots([os.fspath(p) for p in paths] if paths else self.catalog.roots())
        if not roots:
            raise UsageError("No folder to index: give one, e.g. vidx index ~/Videos")
        for root in roots:
            if not root.exists():
                raise NoSuchFile(f"{root}: no such folder; give the folder that holds your videos")
            if not root.is_dir():
                raise VidxError(f"{root}: not a folder; give the folder that holds your videos")
        self.home.require_writable()
        with index_lock(self.home, wait):
            folder = self.model_folder()
            space = self.vector_space()

            def make_encoder(threads: int | None) -> VideoEncoder:
                return VideoEncoder.from_settings(self.settings, folder, threads=threads, throughput=True)

            if engine == "ray":
                runner = ray_engine.RayEngine(self.settings, folder, space)
            else:
                runner = LocalEngine(self.settings, make_encoder)
            return run_index(self.catalog, roots, self.settings, runner, space, progress, retry_failed)

    def remove_root(self, path: str | os.PathLike, wait: float = 0.0) -> RootRemoval:
        """Forget an indexed folder and every video under it."""
        from vidx.indexer.lock import index_lock
        from vidx.indexer.run import resolve_roots
        from vidx.store import StoreWriter

        (root,) = resolve_roots([os.fspath(path)])
        self.home.require_writable()
        with index_lock(self.home, wait):
            catalog = self.catalog
            if str(root) not in catalog.roots():
                raise VidxError(f"{root} is not an indexed folder; `vidx roots` lists them")
            rows = catalog.videos_under(str(root))
            with StoreWriter(catalog) as writer:
                writer.remove_root(root)
        failed = sum(v.status == "failed" for v in rows)
        return RootRemoval(str(root), len(rows) - failed, failed)

    def doctor(self, repair: bool = False):
        """Check that SQLite, the FAISS file and the files on disk agree; `repair` fixes what it can."""
        import contextlib

        from vidx.indexer.lock import index_lock
        from vidx.store.doctor import check

        if repair:
            self.home.require_writable()
        with index_lock(self.home) if repair else contextlib.nullcontext():
            return check(self.catalog, repair)

    # -- reading ---------------------------------------------------------------------------------------------

    def _k(self, k: int | None) -> int:
        k = self.settings.search.k if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a whole number of at least 1, got {k!r}")
        return k

    def warm_up(self) -> None:
        """Load the text model now (checking it made the index), so the first search does not wait for it."""
        self._text_encoder()

    def is_empty(self) -> bool:
        return self.catalog.counts()["clips"] == 0

    def search(
        self,
        text: str,
        k: int | None = None,
        clips: bool = False,
        min_score: float | None = None,
        under: str | os.PathLike | None = None,
        since: str | None = None,
        until: str | None = None,
        min_duration: float | None = None,
        max_duration: float | None = None,
    ) -> list[Hit]:
        """The top-k videos for `text`, each with its moment; `clips` lists single clips instead.

        `since`/`until`: ISO dates bounding the file's modification time (`until` takes in that whole day);
        `min_duration`/`max_duration`: seconds. Filters never shorten the top-k while enough videos pass.
        """
        from vidx.searcher import check_query
        from vidx.searcher.filters import Filters

        check_query(text)
        chosen = Filters.parse(since, until, min_duration, max_duration)
        return self._nearest(lambda: self._text_encoder().embed([text])[0], k, clips, min_score, under, chosen)

    def like(
        self,
        video: str | os.PathLike,
        at: float = 0.0,
        k: int | None = None,
        clips: bool = False,
        min_score: float | None = None,
        under: str | os.PathLike | None = None,
        since: str | None = None,
        until: str | None = None,
        min_duration: float | None = None,
        max_duration: float | None = None,
    ) -> list[Hit]:
        """Query by example: the videos nearest to the clip of `video` that holds second `at`, `video` left out."""
        from vidx.indexer.decode import clip_at
        from vidx.searcher.filters import Filters

        path = existing_file(video)
        chosen = Filters.parse(since, until, min_duration, max_duration)

        def vector():
            return self._video_encoder().embed(clip_at(path, self.settings.clip, at).pixels[None])[0]

        return self._nearest(vector, k, clips, min_score, under, chosen, exclude=str(path))

    def _nearest(self, vector, k, clips, min_score, under, chosen, exclude: str | None = None) -> list[Hit]:
        """Hits for the query vector `vector()` makes, computed only when the index has something to find."""
        from vidx.searcher import search_vector
        from vidx.searcher.moments import with_moments

        k = self._k(k)
        if self.is_empty():
            return []
        query = vector()
        folder = _folder(under)
        hits = search_vector(self.catalog, query, k, clips, min_score, folder, exclude, chosen)
        return hits if clips else with_moments(self.catalog, query, hits, self.settings.search.moment_margin)

    def embed_text(self, texts: Iterable[str] | str) -> np.ndarray:
        """Raw text vectors, [n, 512]."""
        return self._text_encoder().embed([texts] if isinstance(texts, str) else list(texts))

    def embed_video(self, path: str | os.PathLike) -> list[tuple[float, float, np.ndarray]]:
        """(start, end, vector) for each clip of `path`, cut as `vidx index` cuts it."""
        from vidx.indexer.decode import video_clips

        target = existing_file(path)
        times: list[tuple[float, float]] = []

        def clips():
            for clip in video_clips(target, self.settings.clip):
                times.append((clip.start, clip.end))
                yield [clip.frames]

        # As `vidx index` embeds: the next clip is decoded and scaled while the model runs the last.
        vectors = [batch[0] for batch in self._video_encoder().embed_stream(clips())]
        return [(start, end, v) for (start, end), v in zip(times, vectors, strict=True)]

    def export(self, video: str | os.PathLike, start: float, end: float, out_file: str | os.PathLike, pad: float = 0.0):
        """Write [start, end] of `video` (widened by `pad`, within the video) as H.264 MP4; returns what was written."""
        from vidx.searcher.export import export

        return export(resolved(video), start, end, out_file, pad)

    def export_hits(self, hits: list[Hit], folder: str | os.PathLike, pad: float = 0.0) -> list:
        """Each hit's moment as `<rank>-<video stem>-<mmss>-<mmss>.mp4` in `folder`, in the order of `hits`."""
        from vidx.searcher.export import export_into

        target = Path(os.path.abspath(os.path.expanduser(os.fspath(folder))))
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise NotWritable(f"{target}: cannot make the export folder ({e.strerror or e})") from None
        files = [self.catalog.video_file(h.video_id) or h.path for h in hits]
        return [export_into(target, h.rank, f, h.start, h.end, pad) for h, f in zip(hits, files, strict=True)]

    def dupes(self, min_overlap: float = 0.8):
        """Groups of videos holding the same footage (`near`), or the same bytes (`exact`)."""
        from vidx.searcher.dupes import check_overlap, find_duplicates

        check_overlap(min_overlap)
        return find_duplicates(self.catalog, min_overlap)

    def thumbnail(self, clip_id: int) -> bytes | None:
        """A JPEG strip of the clip's frames, made on first request; None for an unknown clip."""
        return self.catalog.thumbnail(clip_id)

    def media_path(self, video_id: int) -> str | None:
        """The file of an indexed video, if it is still there and inside its root (not a symlink out of it)."""
        catalog = self.catalog
        path = catalog.video_file(video_id)
        if path is None or not os.path.isfile(path):
            return None
        real = os.path.realpath(path)
        inside = any(real.startswith(os.path.realpath(r).rstrip("/") + "/") for r in catalog.roots())
        return path if inside else None

    # -- looking at it ---------------------------------------------------------------------------------------

    def roots(self) -> list[str]:
        return self.catalog.roots()

    def failures(self) -> list:
        """Files that could not be indexed, each with `path` and `error`."""
        return self.catalog.failures()

    def status(self) -> dict:
        """What `vidx status --json` prints: counts, roots, model, precision, sizes, last run."""
        from vidx.model.manifest import Manifest

        catalog = self.catalog
        folder = self.model_folder(install=False)
        manifest = Manifest.load(folder) if folder else None
        path = catalog.faiss.path
        return {
            **catalog.counts(),
            "vectors": catalog.vector_count(),
            "roots": catalog.roots(),
            "model": manifest.source if manifest else None,
            "fingerprint": manifest.fingerprint if manifest else None,
            "precision": self.settings.model.precision,
            "index_bytes": path.stat().st_size if path else 0,
            "db_bytes": self.home.db.stat().st_size if self.home.db.exists() else 0,
            "last_run_end": catalog.get_meta("last_run_end"),
        }


def _ray_engine():
    """The Ray engine's module, which imports Ray: only when asked for, and one line when Ray is missing."""
    try:
        from vidx.indexer import ray_engine
    except ImportError as e:
        raise VidxError(f"The ray engine needs Ray ({e}): pip install 'vidx[ray]'") from None
    return ray_engine


def resolved(path: str | os.PathLike) -> Path:
    """A user's path as vidx compares and reports it: absolute, `~`, `..` and symlinks resolved."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def existing_file(path: str | os.PathLike) -> Path:
    """`resolved(path)`, which must be a file."""
    target = resolved(path)
    if not target.is_file():
        raise NoSuchFile(f"{os.fspath(path)}: no such video file")
    return target


def _folder(under: str | os.PathLike | None) -> str | None:
    return os.fspath(under) if under is not None else None
