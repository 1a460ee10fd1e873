"""The FAISS file under the home: one per catalogue generation, the newest current, written atomically."""

from __future__ import annotations

from pathlib import Path

import faiss

from . import vectors


class FaissFile:
    """`vectors-<generation>.faiss` files in one folder; a file's generation says which SQLite state it matches."""

    def __init__(self, folder: Path, ann_threshold: int = vectors.ANN_THRESHOLD):
        self.folder = folder
        self.ann_threshold = ann_threshold

    def _files(self) -> list[tuple[int, Path]]:
        found = []
        for p in self.folder.glob("vectors-*.faiss"):
            try:
                found.append((int(p.stem.split("-", 1)[1]), p))
            except ValueError:
                continue
        return sorted(found)

    @property
    def path(self) -> Path | None:
        files = self._files()
        return files[-1][1] if files else None

    @property
    def generation(self) -> int | None:
        files = self._files()
        return files[-1][0] if files else None

    def load(self, mapped: bool = False) -> faiss.IndexIDMap2 | None:
        """The newest file's index; `mapped` is for readers only, since a memory-mapped index cannot take vectors."""
        path = self.path
        return vectors.load_index(path, mapped) if path is not None else None

    def save(self, index: faiss.IndexIDMap2, generation: int) -> None:
        """Write the index for `generation`, then drop the files of older generations."""
        vectors.save_index(index, self.folder / f"vectors-{generation}.faiss")
        for gen, old in self._files():
            if gen < generation:
                old.unlink(missing_ok=True)

    def clear(self) -> None:
        for _, old in self._files():
            old.unlink(missing_ok=True)
