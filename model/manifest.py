"""The manifest stored beside the IRs: where the model came from and what was made of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import shelf
from .shelf import StoredManifest
from .space import vector_space

TEXT_IR = "text.xml"
VIDEO_IR = {"fp32": "video.xml", "bf16": "video.xml", "int8": "video-int8.xml", "int8-mixed": "video-int8-mixed.xml"}
# The held-out clips the candidates are measured on, uint8, kept to measure them again on another CPU.
HELDOUT = "heldout.npy"


@dataclass
class Manifest(StoredManifest):
    source: str
    fingerprint: str
    vidx_version: str
    openvino_version: str
    imported_at: str
    conversion_seconds: float
    inputs: dict[str, list[int]]
    outputs: dict[str, list[int]]
    files: dict[str, str]
    quantization: dict | None = None
    bf16_report: dict | None = None
    # What `vidx model quantize` measured, on which CPU, and what it chose (model/choice.py).
    cpu: str | None = None
    candidates: list[dict] | None = None
    chosen: dict | None = None
    # sha256[:12] of each quantized IR's weights: quantizing again makes other vectors under the same name.
    quantized_irs: dict[str, str] | None = None

    def vector_space(self, precision: str) -> str:
        """Which model and precision make the vectors, `<fingerprint[:16]>:<precision>[@<IR digest>]`: an index
        holds vectors of one space only."""
        return vector_space(self.fingerprint, precision, (self.quantized_irs or {}).get(precision))


def fingerprint(folder: Path) -> str:
    """sha256 over every file of a SavedModel: relative path, then content, in the order of sorted paths."""
    return shelf.fingerprint(
        folder, [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*")) if p.is_file()]
    )
