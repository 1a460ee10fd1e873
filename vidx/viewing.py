"""What the Library gives of its hits besides their paths: the files, thumbnails and exported moments."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from vidx.errors import NotWritable
from vidx.paths import absolute, resolved

from .open_home import OpenHome

if TYPE_CHECKING:
    from vidx.searcher import Hit


class Viewing:
    """The footage behind one home's hits, as files, images and clips."""

    def __init__(self, opened: OpenHome):
        self.opened = opened

    def export(self, video: str | os.PathLike, start: float, end: float, out_file: str | os.PathLike, pad: float):
        from vidx.media.export import export

        return export(resolved(video), start, end, out_file, pad)

    def export_hits(self, hits: list[Hit], folder: str | os.PathLike, pad: float) -> list:
        from vidx.media.export import export_into

        target = absolute(folder)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise NotWritable(f"{target}: cannot make the export folder ({e.strerror or e})") from None
        files = [self.opened.catalog.video_file(h.video_id) or h.path for h in hits]
        return [export_into(target, h.rank, f, h.start, h.end, pad) for h, f in zip(hits, files, strict=True)]

    def thumbnail(self, clip_id: int) -> bytes | None:
        from vidx.media.thumbnails import strip

        return self.opened.catalog.thumbnail(clip_id, strip)

    def media_path(self, video_id: int) -> str | None:
        catalog = self.opened.catalog
        path = catalog.video_file(video_id)
        if path is None or not os.path.isfile(path):
            return None
        # Where the file really is, not where its name points: a symlink out of the root is not served.
        inside = any(resolved(path).is_relative_to(resolved(root)) for root in catalog.roots())
        return path if inside else None
