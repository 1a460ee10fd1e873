"""Where one clip's time goes in the benchmark's FP32 and INT8 video IRs (OpenVINO PERF_COUNT, one request).

    python benchmarks/profile.py

Prints milliseconds per layer type for both, then the slowest INT8 convolutions beside their FP32 time.
"""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import inputs
from model_setup import prepare


def profile(path: Path, clips) -> dict[str, tuple[str, float]]:
    """{layer name: (layer type, ms)} for one request, after warm-up, latency hint, true f32 where not INT8."""
    import openvino as ov

    config = {"INFERENCE_PRECISION_HINT": "f32", "PERF_COUNT": True, "PERFORMANCE_HINT": "LATENCY"}
    request = ov.Core().compile_model(str(path), "CPU", config).create_infer_request()
    for i in range(3):
        request.infer({0: clips[i % len(clips)][None]})
    return {p.node_name: (p.node_type, p.real_time.total_seconds() * 1000) for p in request.profiling_info}


def main() -> None:
    calibration, held = inputs.quantize_split()
    folder = prepare(calibration[: inputs.INIT_CLIPS]).folder
    layers = {
        name: profile(folder / xml, held[:2]) for name, xml in (("fp32", "video.xml"), ("int8", "video-int8.xml"))
    }
    for name, timed in layers.items():
        by_type = collections.Counter()
        for kind, ms in timed.values():
            by_type[kind] += ms
        top = {kind: round(ms, 1) for kind, ms in by_type.most_common(10)}
        print(json.dumps({"model": name, "total_ms": round(sum(by_type.values()), 1), "by_type": top}))
    fp32 = layers["fp32"]
    convs = [(n, ms, fp32[n][1]) for n, (kind, ms) in layers["int8"].items() if kind == "Convolution" and n in fp32]
    for name, int8_ms, fp32_ms in sorted(convs, key=lambda c: -c[1])[:10]:
        print(json.dumps({"conv": name, "int8_ms": round(int8_ms, 2), "fp32_ms": round(fp32_ms, 2)}))
    os._exit(0)  # OpenVINO 2026.4 can abort at interpreter shutdown once a string model was compiled


if __name__ == "__main__":
    main()
