"""Subtitle files beside a video: `STEM.srt`, `STEM.vtt` and `STEM.LANG.srt|vtt` (`kite.en.vtt` for `kite.mp4`).

A folder is listed once per run however many videos it holds. A subtitle file named exactly for another video
of the folder is that video's, never a language variant of a shorter name (`kite.en.srt` beside `kite.en.mp4`
and `kite.mp4` belongs to the first).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".srt", ".vtt")
# ISO 639 codes with an optional region or script: en, eng, pt-BR, zh_Hant.
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


@dataclass(frozen=True)
class Sidecar:
    path: Path
    size: int
    mtime_ns: int


class SidecarFinder:
    """Finds each video's sidecars; `extensions` say which names in a folder are videos."""

    def __init__(self, extensions: tuple[str, ...]):
        self.extensions = extensions
        self._folders: dict[Path, _Folder] = {}

    def of(self, video: Path) -> list[Sidecar]:
        """The video's sidecars, sorted by name; none when its folder cannot be listed."""
        folder = self._folders.get(video.parent)
        if folder is None:
            folder = self._folders[video.parent] = _Folder.listed(video.parent, self.extensions)
        stem = os.path.splitext(video.name)[0]
        return [sidecar for name, sidecar in folder.subtitles.items() if _belongs(name, stem, folder.stems)]


@dataclass
class _Folder:
    stems: set[str]  # of the videos in it
    subtitles: dict[str, Sidecar]  # by name, sorted

    @classmethod
    def listed(cls, folder: Path, extensions: tuple[str, ...]) -> _Folder:
        stems: set[str] = set()
        subtitles: dict[str, Sidecar] = {}
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return cls(stems, subtitles)
        for entry in entries:
            stem, suffix = os.path.splitext(entry.name)
            if suffix.lower() in extensions:
                stems.add(stem)
            elif suffix.lower() in SUFFIXES:
                try:
                    if not entry.is_file():
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                subtitles[entry.name] = Sidecar(Path(entry.path), st.st_size, st.st_mtime_ns)
        return cls(stems, subtitles)


def _belongs(name: str, stem: str, video_stems: set[str]) -> bool:
    base = os.path.splitext(name)[0]
    if base == stem:
        return True
    language = base[len(stem) + 1 :] if base.startswith(stem + ".") else ""
    return bool(_LANGUAGE.fullmatch(language)) and base not in video_stems


def fingerprint(sidecars: list[Sidecar]) -> str:
    """What the words of a video's sidecars were read from: names, sizes and mtimes. A run whose sidecars give
    another fingerprint than the stored one reads them again; a move that keeps them beside the video does not."""
    return json.dumps([[s.path.name, s.size, s.mtime_ns] for s in sidecars])
