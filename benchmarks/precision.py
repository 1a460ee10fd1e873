"""The precision goals alone, side by side in one run, for a machine too busy for benchmarks/run.py: each
candidate's bare inference on the clips `vidx model quantize` holds out, against FP32, and its worst cosine.

    python benchmarks/precision.py [INT8_XML]

Uses the stand-in under benchmarks/cache/home (run.py imports and quantizes it there); INT8_XML stands in for
video-int8.xml when the quantization has not stored it yet. Prints one JSON line; BENCHMARKS.md is not touched.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

import inputs
from harness import CACHE, cosine_min, cpu, cpu_seconds, interleaved_rates, openvino_runner


def main() -> None:
    from vidx.model.runtime import cpu_has_bf16

    folder = (CACHE / "home" / "models" / "active").resolve()
    int8 = Path(sys.argv[1]) if len(sys.argv) > 1 else folder / "video-int8.xml"
    _, clips = inputs.quantize_split()
    variants = {"fp32": (folder / "video.xml", "f32"), "int8": (int8, "f32")}
    if (folder / "video-int8-mixed.xml").exists():
        variants["int8-mixed"] = (folder / "video-int8-mixed.xml", "f32")
    if cpu_has_bf16():
        variants["bf16"] = (folder / "video.xml", "bf16")
    runs, vectors, cpu_ms = {}, {}, {}
    for name, (xml, hint) in variants.items():
        runs[name], vectors[name] = openvino_runner(str(xml), clips, hint)
    for name, run in runs.items():  # CPU per clip, which other tenants of the machine take little of
        before = cpu_seconds(resource.RUSAGE_SELF)
        run()
        cpu_ms[name] = round(1000 * (cpu_seconds(resource.RUSAGE_SELF) - before) / len(clips), 1)
    rates = interleaved_rates(runs, len(clips), 3)
    out = {"cpu": cpu()[0], "cpu_flags": cpu()[1], "load": os.getloadavg()[0], "clips": len(clips)}
    for name in variants:
        out[name] = {
            "clips_s": rates[name],
            "vs_fp32": round(rates[name] / rates["fp32"], 2),
            "cpu_ms_per_clip": cpu_ms[name],
            "cpu_vs_fp32": round(cpu_ms["fp32"] / cpu_ms[name], 2),
            "cos_min": cosine_min(vectors["fp32"], vectors[name]),
        }
    print(json.dumps(out))
    os._exit(0)  # OpenVINO 2026.4 can abort at interpreter shutdown once a string model was compiled


if __name__ == "__main__":
    main()
