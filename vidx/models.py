"""The Library's model: which one is active, its encoders (made once, lazily), importing, quantizing, precision."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from vidx.config import PRECISIONS, write_user_setting
from vidx.errors import ModelMismatch, NoCalibrationVideos, UsageError, VidxError
from vidx.paths import absolute, existing_file

from .open_home import OpenHome

if TYPE_CHECKING:
    import numpy as np

    from vidx.model.runtime import TextEncoder, VideoEncoder

log = logging.getLogger("vidx")


class Models:
    """The active model of one home and the encoders made from it, shared by every thread of a Library."""

    def __init__(self, opened: OpenHome):
        self.opened = opened
        self._lock = threading.RLock()  # encoders are made once, whichever thread asks first
        self._text: TextEncoder | None = None
        self._video: VideoEncoder | None = None

    def installed(self) -> Path | None:
        """The active model's folder, None before the first import."""
        from vidx.model import registry

        return registry.active_dir(self.opened.home)

    def folder(self) -> Path:
        """The active model's folder, the default source imported first when there is none."""
        folder = self.installed()
        if folder is not None:
            return folder
        log.info("No model installed yet: importing %s (once).", self.opened.settings.model.source)
        return self.import_model().folder

    def vector_space(self) -> str:
        from vidx.model.manifest import Manifest
        from vidx.model.space import vector_space

        return vector_space(Manifest.load(self.folder()).fingerprint, self.opened.settings.model.precision)

    def _check_same_model(self, folder: Path) -> None:
        """Text vectors of one model against video vectors of another would rank at random."""
        from vidx.model.manifest import Manifest
        from vidx.model.space import model_id, space_model

        stored = space_model(self.opened.catalog.get_meta("vector_space") or "")
        active = model_id(Manifest.load(folder).fingerprint)
        if stored and stored != active:
            raise ModelMismatch(
                f"The index was built with another model ({stored}); run `vidx index` to re-embed it with the "
                f"active one ({active})"
            )

    def text_encoder(self) -> TextEncoder:
        with self._lock:
            if self._text is None:
                from vidx.model.runtime import TextEncoder

                folder = self.folder()
                self._check_same_model(folder)
                self._text = TextEncoder(self.opened.home, folder)
            return self._text

    def video_encoder(self) -> VideoEncoder:
        with self._lock:
            if self._video is None:
                from vidx.model.runtime import VideoEncoder

                self._video = VideoEncoder.from_settings(self.opened.settings, self.folder())
            return self._video

    def import_model(self, source: str | None = None, force: bool = False):
        from vidx.model.importer import import_model

        home = self.opened.home
        home.require_writable()
        return import_model(home, source or self.opened.settings.model.source, force=force)

    def info(self) -> dict:
        from dataclasses import asdict

        from vidx.model.registry import active_manifest, require_active

        home = self.opened.home
        manifest, folder = active_manifest(home), require_active(home)
        files = {}
        for role, name in manifest.files.items():
            xml = folder / name
            files[role] = {"xml": str(xml), "bytes": xml.stat().st_size + xml.with_suffix(".bin").stat().st_size}
        precision = self.opened.settings.model.precision
        return {**asdict(manifest), "precision": precision, "folder": str(folder), "files": files}

    def quantize(self, calibration: str | os.PathLike | None, clips: int, heldout: int):
        from vidx.media.decode import clips_in_turn
        from vidx.model.pixels import scale
        from vidx.model.quantize import quantize

        settings = self.opened.settings
        settings.home.require_writable()
        self.folder()
        paths = self._calibration_paths(calibration)
        report = quantize(settings, (scale(c.frames) for c in clips_in_turn(paths, settings.clip)), clips, heldout)
        if report.accepted:
            self.use_precision("int8")
        return report

    def _calibration_paths(self, folder: str | os.PathLike | None) -> list[Path]:
        from vidx.indexer.walk import walk

        if folder is not None:
            root = absolute(folder)
            if not root.is_dir():
                raise VidxError(f"{os.fspath(folder)}: not a folder of videos")
            paths = list(walk(root, self.opened.settings.index.extensions))
        else:
            catalog = self.opened.catalog
            paths = [Path(v.path) for r in catalog.roots() for v in catalog.videos_under(r) if v.status == "ok"]
        if not paths:
            raise NoCalibrationVideos("No videos to calibrate on: index some, or give a folder of real videos")
        return paths

    def use_precision(self, precision: str) -> None:
        from vidx.model.registry import active_manifest
        from vidx.model.runtime import cpu_has_bf16

        home = self.opened.home
        if precision not in PRECISIONS:
            raise UsageError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        q = active_manifest(home).quantization
        if precision == "int8":
            if not q:
                raise VidxError("No INT8 model yet: run `vidx model quantize` first")
            if not q["accepted"]:
                raise VidxError(
                    f"The INT8 model failed its check (min cosine {q['cosine_min']:.4f} < {q['guard']}); "
                    "quantize again with more clips"
                )
        if precision == "bf16" and not cpu_has_bf16():
            raise VidxError("This CPU has no bf16 support (AVX512_BF16 or AMX); use fp32 or int8")
        home.require_writable()
        write_user_setting(home, "model.precision", precision)
        self.opened.reload()
        with self._lock:
            self._video = None

    def videos_to_reembed(self) -> int:
        if not self.opened.home.db.exists() or self.installed() is None:
            return 0
        catalog = self.opened.catalog
        stored = catalog.get_meta("vector_space")
        return catalog.counts()["videos"] if stored and stored != self.vector_space() else 0

    def embed_text(self, texts: Iterable[str] | str) -> np.ndarray:
        return self.text_encoder().embed([texts] if isinstance(texts, str) else list(texts))

    def embed_video(self, path: str | os.PathLike) -> list[tuple[float, float, np.ndarray]]:
        from vidx.media.decode import video_clips

        target = existing_file(path)
        times: list[tuple[float, float]] = []

        def clips():
            for clip in video_clips(target, self.opened.settings.clip):
                times.append((clip.start, clip.end))
                yield [clip.frames]

        # As `vidx index` embeds: the next clip is decoded and scaled while the model runs the last.
        vectors = [batch[0] for batch in self.video_encoder().embed_stream(clips())]
        return [(start, end, v) for (start, end), v in zip(times, vectors, strict=True)]
