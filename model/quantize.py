"""`vidx model quantize`: NNCF post-training INT8 of the video IR, kept only if it stays close to FP32."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vidx.config import Settings
from vidx.errors import VidxError

from . import registry
from .manifest import VIDEO_IR, Manifest
from .runtime import TextEncoder, VideoEncoder, compile_config, core, cpu_has_bf16

# Text probes for the retrieval-agreement figure: everyday scenes, since the library's content is unknown.
PROBES = [
    "a person walking",
    "a car driving on a road",
    "people talking",
    "a dog running",
    "cooking food",
    "playing guitar",
    "a waterfall",
    "riding a bike",
    "a bottle on a table",
    "someone reading a book",
    "a crowd of people",
    "a cartoon animal",
    "a hand gesture",
    "a phone call",
    "an empty room",
]


@dataclass
class QuantizationReport:
    calibration_clips: int
    heldout_clips: int
    cosine_min: float
    cosine_mean: float
    top1_agreement: float
    model_type: str
    ignored: str
    overflow_fix: str
    guard: float
    accepted: bool


def _compare(reference: np.ndarray, other: np.ndarray, text: np.ndarray) -> tuple[float, float, float]:
    cos = np.sum(reference * other, axis=1) / (
        np.linalg.norm(reference, axis=1) * np.linalg.norm(other, axis=1) + 1e-12
    )
    agree = np.mean(np.argmax(text @ reference.T, axis=1) == np.argmax(text @ other.T, axis=1))
    return float(cos.min()), float(cos.mean()), float(agree)


def output_projection(model) -> list[str]:
    """The MatMul nearest the output, the 512-d projection: a sliver of the compute, whose INT8 error would
    land straight on the embedding. Other MatMuls (the gating's) are quantized: leaving them FP32 changed neither
    speed nor cosine to FP32 on the full-size S3D-G (BENCHMARKS.md)."""
    node = model.output(0).get_node().input_value(0).get_node()
    while node.get_type_name() != "MatMul":
        if node.get_input_size() == 0:
            return []
        node = node.input_value(0).get_node()
    return [node.get_friendly_name()]


def _cpu_has_vnni() -> bool:
    """VNNI (or AMX) multiplies u8 by s8 into int32 directly; without it, pairs add up in int16 and can saturate."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return any(f in flags for f in ("avx512_vnni", "avx_vnni", "amx_int8"))


def split(n: int, calibration: int, heldout: int) -> tuple[list[int], list[int]]:
    """Positions of the calibration and held-out clips among `n` taken in turn from the videos.

    Held-out clips are drawn at random (seeded) from them all, since the last ones in turn come only from the
    longest videos. At most half the clips are held out.
    """
    held = set(np.random.default_rng(0).choice(n, min(heldout, n // 2), replace=False).tolist())
    return [i for i in range(n) if i not in held][:calibration], sorted(held)


def quantize(settings: Settings, clips: Iterable[np.ndarray], calibration: int, heldout: int) -> QuantizationReport:
    """Calibrate on `calibration` clips and judge on `heldout` others (see `split`); INT8 is stored either way."""
    import logging

    import nncf
    import openvino as ov
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    nncf.set_log_level(logging.WARNING)  # its INFO lines go to stdout, where the report goes

    home = settings.home
    folder = registry.require_active(home)
    manifest = Manifest.load(folder)
    gathered = []
    for clip in clips:
        gathered.append(clip)
        if len(gathered) == calibration + heldout:
            break
    if len(gathered) < 2:
        raise VidxError("Too few clips to calibrate on: calibrate on a folder of real videos")
    calib_at, held_at = split(len(gathered), calibration, heldout)
    calib, held = [gathered[i] for i in calib_at], [gathered[i] for i in held_at]
    # NNCF's default keeps the first layer's weights to 7 bits against int16 saturation, which VNNI cannot hit;
    # on VNNI CPUs full 8 bits raised the S3D stand-in's mean cosine to FP32 from 0.981 to 0.984 (BENCHMARKS.md).
    overflow_fix = nncf.OverflowFix.DISABLE if _cpu_has_vnni() else nncf.OverflowFix.FIRST_LAYER

    fp32_model = core().read_model(str(folder / VIDEO_IR["fp32"]))
    dataset = nncf.Dataset([c[None] for c in calib])
    with contextlib.redirect_stdout(sys.stderr):  # NNCF's progress bars are progress, not the report
        int8_model = nncf.quantize(
            fp32_model,
            dataset,
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(calib),
            ignored_scope=nncf.IgnoredScope(names=output_projection(fp32_model)),
            # Activation ranges that minimise the quantization error over a histogram: on the S3D stand-in the
            # best of the estimators tried, while clipping outliers (quantiles) lost badly (BENCHMARKS.md).
            advanced_parameters=nncf.AdvancedQuantizationParameters(
                overflow_fix=overflow_fix,
                activations_range_estimator_params=RangeEstimatorParametersSet.HISTOGRAM,
            ),
        )
    staged = folder / (VIDEO_IR["int8"] + ".tmp.xml")
    ov.save_model(int8_model, staged, compress_to_fp16=False)

    batch = np.stack(held)
    reference = VideoEncoder.from_settings(settings, folder, "fp32").embed(batch)
    int8_out = np.array(core().compile_model(str(staged), "CPU", compile_config("int8", home))(batch)[0])
    text = TextEncoder(home, folder).embed(PROBES)
    cos_min, cos_mean, agree = _compare(reference, int8_out, text)
    guard = settings.model.int8_min_cosine
    report = QuantizationReport(
        len(calib),
        len(held),
        round(cos_min, 5),
        round(cos_mean, 5),
        round(agree, 4),
        "TRANSFORMER",
        "the output projection",
        overflow_fix.value,
        guard,
        cos_min >= guard,
    )
    for suffix in (".bin", ".xml"):
        Path(str(staged)[: -len(".xml")] + suffix).replace(folder / (VIDEO_IR["int8"][: -len(".xml")] + suffix))
    manifest.quantization = asdict(report)
    if cpu_has_bf16():
        bf16_out = VideoEncoder.from_settings(settings, folder, "bf16").embed(batch)
        b_min, b_mean, b_agree = _compare(reference, bf16_out, text)
        manifest.bf16_report = {
            "cosine_min": round(b_min, 5),
            "cosine_mean": round(b_mean, 5),
            "top1_agreement": b_agree,
        }
    manifest.files["video_int8"] = VIDEO_IR["int8"]
    manifest.save(folder)
    return report
