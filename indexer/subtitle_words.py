"""A video's subtitles, from every place they can be: sidecar files beside it and text streams inside it.

A file that cannot be read costs one warning and its own lines only; the video keeps its pictures and its other
subtitles, and the file is not read again until it changes (its fingerprint is kept all the same).
"""

from __future__ import annotations

from pathlib import Path

from vidx.errors import SubtitleError
from vidx.filenames import on_disk
from vidx.media.subtitle_streams import embedded_subtitles
from vidx.said import Segment
from vidx.store import Catalog
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.said_rows import Subtitles, subtitle_states

from .sidecars import SidecarFinder, fingerprint
from .subtitles import read_subtitles


class SubtitleReader:
    """Reads videos' subtitles for one run, keeping each warning; `extensions` say which files are videos."""

    def __init__(self, extensions: tuple[str, ...]):
        self.finder = SidecarFinder(extensions)
        self.warnings: list[str] = []

    def fingerprint(self, video: Path) -> str:
        """What the video's subtitles would be read from now (see Subtitles.sidecars)."""
        return fingerprint(self.finder.of(video))

    def read(self, video: Path) -> Subtitles:
        """Every subtitle line of `video`: its sidecars' (by name), then its streams', each in time order."""
        segments: list[Segment] = []
        sidecars = self.finder.of(video)
        for sidecar in sidecars:
            try:
                segments += read_subtitles(sidecar.path)
            except SubtitleError as e:
                self.warnings.append(str(e))
        try:
            embedded = embedded_subtitles(video)
        except SubtitleError as e:
            self.warnings.append(str(e))
            return Subtitles(segments, fingerprint(sidecars))
        return Subtitles(segments + embedded.segments, fingerprint(sidecars), embedded.bitmap_streams)


def refresh_subtitles(
    catalog: Catalog, store: CatalogWriter, roots: list[Path], reader: SubtitleReader, skip: set[str]
) -> int:
    """Read again the subtitles of the indexed videos under `roots` whose sidecars changed (or that were never
    read), leaving their clips as they are; `skip` names the files this run embeds anew. Returns lines stored."""
    stored = 0
    for root in roots:
        for state in subtitle_states(catalog.db, str(root).rstrip("/") + "/"):
            path = Path(on_disk(state.path, state.raw_path))
            if str(path) in skip or state.sidecars == reader.fingerprint(path):
                continue
            subtitles = reader.read(path)
            store.save_subtitles(state.video_id, subtitles)
            stored += len(subtitles.segments)
    return stored
