"""`vidx model quantize`: NNCF INT8 of the video IR, in full and with accuracy control, then the fastest
precision that stays close to FP32 on held-out clips is chosen (model/choice.py)."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vidx.config import Settings
from vidx.errors import VidxError

from . import cpu, registry
from .choice import Choice, record
from .manifest import VIDEO_IR, Manifest
from .measure import measure, save_heldout
from .pixels import scale
from .ranking import multiply_adds, ranking_only_costliest
from .runtime import VideoEncoder, core

# Accuracy control's bounds, so that it ends within minutes on 2 cores. It ranks the costliest groups of layers
# (model/ranking.py), each compiled and judged on RANKING_CLIPS clips, NNCF's pick of the held-out clips INT8
# moves furthest; then returns the best-ranked to float, one a step, judged on all held-out clips, and ranks
# again after a step that made things worse. At most MAX_REVERTED steps: the layers it returns are costly ones,
# and with four of them in f32 INT8 has lost most of its lead over bf16 and much of it over FP32.
MAX_REVERTED = 4
RANKING_CLIPS = 2


@dataclass
class QuantizationReport:
    """Full INT8 as before (its keys are the manifest's `quantization`), and how it was made."""

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
    reverted: int  # operations accuracy control kept in float for int8-mixed
    seconds: float  # both quantizations, accuracy control included


@dataclass(frozen=True)
class Quantized:
    report: QuantizationReport
    choice: Choice


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


def split(n: int, calibration: int, heldout: int) -> tuple[list[int], list[int]]:
    """Positions of the calibration and held-out clips among `n` taken in turn from the videos.

    Held-out clips are drawn at random (seeded) from them all, since the last ones in turn come only from the
    longest videos. At most half the clips are held out.
    """
    held = set(np.random.default_rng(0).choice(n, min(heldout, n // 2), replace=False).tolist())
    return [i for i in range(n) if i not in held][:calibration], sorted(held)


def _gather(clips: Iterable[np.ndarray], calibration: int, heldout: int) -> tuple[list[np.ndarray], np.ndarray]:
    gathered = []
    for clip in clips:
        gathered.append(clip)
        if len(gathered) == calibration + heldout:
            break
    if len(gathered) < 2:
        raise VidxError("Too few clips to calibrate on: calibrate on a folder of real videos")
    calib_at, held_at = split(len(gathered), calibration, heldout)
    return [gathered[i] for i in calib_at], np.stack([gathered[i] for i in held_at])


def _with_accuracy_control(fp32_model, calib: list[np.ndarray], held: np.ndarray, reference: np.ndarray, guard, out):
    """(full INT8, accuracy-controlled INT8, operations the latter keeps in float), from one NNCF run.

    Accuracy control's metric is the worst cosine to FP32 over the held-out clips, with the guard as its
    bound; NNCF compiles every model it judges in f32, as `reference` was. It saves the fully quantized model
    in `out` before reverting any layer, so calibrating once gives both.
    """
    import nncf

    def worst_cosine(compiled, items) -> tuple[float, list[float]]:
        cosines = []
        for i, clip in items:
            v = np.asarray(compiled(scale(clip)[None])[0])[0]
            r = reference[i]
            cosines.append(float(v @ r / (np.linalg.norm(v) * np.linalg.norm(r) + 1e-12)))
        return min(cosines), cosines

    # NNCF's default keeps the first layer's weights to 7 bits against int16 saturation, which VNNI cannot hit;
    # on VNNI CPUs full 8 bits raised the S3D stand-in's mean cosine to FP32 from 0.981 to 0.984 (BENCHMARKS.md).
    overflow_fix = nncf.OverflowFix.DISABLE if cpu.has_vnni() else nncf.OverflowFix.FIRST_LAYER
    with ranking_only_costliest(multiply_adds(fp32_model)):
        mixed = _accuracy_controlled(fp32_model, calib, held, worst_cosine, guard, overflow_fix, out)
    # Saved with FakeQuantize on float weights; int8 weights, as nncf.quantize stores them, take a quarter of
    # the disk (the same transformation NNCF applies to the model it returns; private in OpenVINO 2026.4).
    from openvino._offline_transformations import compress_quantize_weights_transformation

    full = core().read_model(str(out / "intermediate_model.xml"))
    compress_quantize_weights_transformation(full)
    return full, mixed, _float_operations(mixed) - _float_operations(full), overflow_fix.value


def _accuracy_controlled(fp32_model, calib, held, worst_cosine, guard, overflow_fix, out):
    """NNCF's accuracy control, in the bounds set above."""
    import nncf
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    return nncf.quantize_with_accuracy_control(
        fp32_model,
        nncf.Dataset(calib, lambda clip: scale(clip)[None]),
        nncf.Dataset(list(enumerate(held))),
        worst_cosine,
        # FP32 scores 1.0 against itself, so a drop of 1 - guard leaves the worst cosine at the guard.
        max_drop=1.0 - guard,
        drop_type=nncf.DropType.ABSOLUTE,
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(calib),
        ignored_scope=nncf.IgnoredScope(names=output_projection(fp32_model)),
        # Activation ranges that minimise the quantization error over a histogram: on the S3D stand-in the
        # best of the estimators tried, while clipping outliers (quantiles) lost badly (BENCHMARKS.md).
        advanced_quantization_parameters=nncf.AdvancedQuantizationParameters(
            overflow_fix=overflow_fix,
            activations_range_estimator_params=RangeEstimatorParametersSet.HISTOGRAM,
        ),
        advanced_accuracy_restorer_parameters=nncf.AdvancedAccuracyRestorerParameters(
            max_num_iterations=MAX_REVERTED,
            ranking_subset_size=RANKING_CLIPS,
            # One: a second worker would compile the next model on the cores the current one is judged on.
            num_ranking_workers=1,
            intermediate_model_dir=str(out),
        ),
    )


def _float_operations(model) -> int:
    """Convolutions and MatMuls with float weights: a Constant straight in, where INT8 weights come through a
    dequantizing Multiply."""
    quantizable = ("Convolution", "GroupConvolution", "MatMul")
    return sum(
        op.get_type_name() in quantizable and op.input_value(1).get_node().get_type_name() == "Constant"
        for op in model.get_ops()
    )


def _store(model, folder: Path, precision: str) -> str:
    """Write the IR beside the others, each file swapped in whole; returns the digest of its weights."""
    import openvino as ov

    name = VIDEO_IR[precision]
    staged = folder / (name + ".tmp.xml")
    ov.save_model(model, staged, compress_to_fp16=False)
    weights = Path(str(staged)[: -len(".xml")] + ".bin")
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    for suffix in (".bin", ".xml"):
        Path(str(staged)[: -len(".xml")] + suffix).replace(folder / (name[: -len(".xml")] + suffix))
    return digest


def quantize(settings: Settings, clips: Iterable[np.ndarray], calibration: int, heldout: int) -> Quantized:
    """Calibrate on `calibration` uint8 clips, judge on `heldout` others (see `split`), store both INT8 IRs and
    the held-out clips, and measure every candidate on them; the caller makes the choice active."""
    import logging

    import nncf

    nncf.set_log_level(logging.WARNING)  # its INFO lines go to stdout, where the report goes
    folder = registry.require_active(settings.home)
    manifest = Manifest.load(folder)
    calib, held = _gather(clips, calibration, heldout)
    guard = settings.model.int8_min_cosine
    reference = VideoEncoder.from_settings(settings, folder, "fp32").embed(scale(held))
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=".quantize-", dir=folder))
    try:
        with contextlib.redirect_stdout(sys.stderr):  # NNCF's progress bars are progress, not the report
            fp32_model = core().read_model(str(folder / VIDEO_IR["fp32"]))
            full, mixed, reverted, overflow_fix = _with_accuracy_control(
                fp32_model, calib, held, reference, guard, scratch
            )
        manifest.quantized_irs = {p: _store(m, folder, p) for p, m in (("int8", full), ("int8-mixed", mixed))}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - started
    save_heldout(folder, held)
    manifest.files["video_int8"] = VIDEO_IR["int8"]
    manifest.files["video_int8_mixed"] = VIDEO_IR["int8-mixed"]
    manifest.save(folder)
    choice = measure(settings, folder, held)
    int8 = next(c for c in choice.candidates if c.precision == "int8")
    report = QuantizationReport(
        len(calib),
        len(held),
        int8.cosine_min,
        int8.cosine_mean,
        int8.top1_agreement,
        "TRANSFORMER",
        "the output projection",
        overflow_fix,
        guard,
        int8.accepted,
        reverted,
        round(seconds, 1),
    )
    manifest.quantization = asdict(report)
    record(manifest, choice)
    manifest.save(folder)
    return Quantized(report, choice)
