"""NNCF recipes side by side on the benchmark's FP32 video IR: cosine to FP32 on held-out clips, INT8/FP32 speed.

    python benchmarks/recipes.py [RECIPE ...]

Prints one JSON line per recipe. Calibration uses the first 16 (or 64) of the clips `vidx model quantize` would
calibrate on, the cosine the clips it holds out, so the figures compare with BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time

import harness
import inputs
from model_setup import prepare


def recipes(nncf) -> dict[str, dict]:
    advanced = nncf.AdvancedQuantizationParameters
    ranges = nncf.quantization.range_estimator.RangeEstimatorParametersSet
    transformer = {"model_type": nncf.ModelType.TRANSFORMER}
    no_fix = {"advanced_parameters": advanced(overflow_fix=nncf.OverflowFix.DISABLE)}
    quantiles = {"advanced_parameters": advanced(activations_range_estimator_params=ranges.MEAN_QUANTILE)}

    def wide(model_type: dict, estimator=None) -> dict:
        """8-bit first layer, 64 clips, and optionally another activation range estimator."""
        estimator = estimator or nncf.quantization.range_estimator.RangeEstimatorParameters()
        params = advanced(overflow_fix=nncf.OverflowFix.DISABLE, activations_range_estimator_params=estimator)
        return {**model_type, "advanced_parameters": params, "clips": 64}

    return {
        "transformer": transformer,
        "transformer-matmuls-fp32": {**transformer, "ignored_types": ["MatMul"]},
        "transformer-no-overflow-fix": {**transformer, **no_fix},
        "transformer-64": {**transformer, "clips": 64},
        "transformer-no-overflow-fix-64": wide(transformer),
        "transformer-no-overflow-fix-64-minmax": wide(transformer, ranges.MINMAX),
        "transformer-no-overflow-fix-64-histogram": wide(transformer, ranges.HISTOGRAM),
        "transformer-quantile": {**transformer, **quantiles},
        "cnn": {},
        "cnn-cpu": {"target_device": nncf.TargetDevice.CPU},
        "cnn-mixed": {"preset": nncf.QuantizationPreset.MIXED},
        "cnn-no-overflow-fix": no_fix,
        "cnn-full-bias-correction": {"fast_bias_correction": False},
        "cnn-quantile": quantiles,
        "cnn-no-overflow-fix-64": wide({}),
        "cnn-no-overflow-fix-64-histogram": wide({}, ranges.HISTOGRAM),
    }


def main() -> None:
    import nncf
    import openvino as ov

    from vidx.model.quantize import output_projection

    table = recipes(nncf)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="RECIPE", help=f"any of: {', '.join(table)} (default: all)")
    names = parser.parse_args().names or list(table)
    if unknown := [n for n in names if n not in table]:
        parser.error(f"unknown recipe {unknown[0]}")
    nncf.set_log_level(logging.ERROR)
    calibration, held = inputs.quantize_split()
    folder = prepare(calibration[: inputs.INIT_CLIPS]).folder
    fp32 = ov.Core().read_model(f"{folder}/video.xml")
    fp32_run, reference = harness.openvino_runner(fp32, held, "f32")
    fp32_run()
    for name in names:
        options = dict(table[name])
        clips = calibration[: options.pop("clips", 16)]
        ignored = nncf.IgnoredScope(names=output_projection(fp32), types=options.pop("ignored_types", []))
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            int8 = nncf.quantize(
                fp32, nncf.Dataset([c[None] for c in clips]), subset_size=len(clips), ignored_scope=ignored, **options
            )
        seconds = time.perf_counter() - start
        int8_run, vectors = harness.openvino_runner(int8, held, "f32")
        rates = harness.interleaved_rates({"fp32": fp32_run, "int8": int8_run}, len(held), 3)
        fp32_rate, rate = rates["fp32"], rates["int8"]
        cos = harness.cosines(reference, vectors)
        print(
            json.dumps(
                {
                    "recipe": name,
                    "cos_min": round(float(cos.min()), 4),
                    "cos_mean": round(float(cos.mean()), 4),
                    "clips_s": rate,
                    "fp32_clips_s": fp32_rate,
                    "x_fp32": round(rate / fp32_rate, 2),
                    "quantize_s": round(seconds),
                }
            ),
            flush=True,
        )
    os._exit(0)  # OpenVINO 2026.4 can abort at interpreter shutdown once a string model was compiled


if __name__ == "__main__":
    main()
