"""`vidx model import`: fetch or unpack a SavedModel, convert it, and install it without touching the old one."""

from __future__ import annotations

import datetime as dt
import time

from vidx import __version__
from vidx.config import Home
from vidx.paths import absolute

from . import registry, vocab
from .convert import convert
from .manifest import TEXT_IR, VIDEO_IR, Manifest, fingerprint
from .shelf import Imported
from .source import local_savedmodel


def import_model(home: Home, source: str, force: bool = False) -> Imported[Manifest]:
    """Convert SOURCE into IRs under the home; the same fingerprint again is a no-op unless `force`."""
    import openvino as ov

    shelf = registry.shelf(home.ensure())
    with shelf.scratch() as scratch:
        savedmodel = local_savedmodel(source, home, scratch / "source")
        fp = fingerprint(savedmodel)
        existing = None if force else shelf.reuse(fp)
        if existing:
            return Imported(Manifest.load(existing), existing, skipped=True)
        staged = scratch / "ir"
        staged.mkdir()
        started = time.perf_counter()
        if vocab.needs_inlining(savedmodel):
            savedmodel = vocab.inline(savedmodel, scratch / "inlined")
        shapes = convert(savedmodel, staged)
        manifest = Manifest(
            source=source if "://" in source else str(absolute(source)),
            fingerprint=fp,
            vidx_version=__version__,
            openvino_version=ov.get_version(),
            imported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            conversion_seconds=round(time.perf_counter() - started, 2),
            inputs={k: v for k, v in shapes.items() if k in ("images", "words")},
            outputs={k: v for k, v in shapes.items() if k in ("video_embedding", "text_embedding")},
            files={"text": TEXT_IR, "video": VIDEO_IR["fp32"]},
        )
        manifest.save(staged)
        return Imported(manifest, shelf.install(staged, fp), skipped=False)
