"""Inference alone: TF against OpenVINO FP32, INT8, accuracy-controlled INT8 and bf16 on the same clips, and how
far their vectors differ; the precision `vidx model quantize` chose is one of them."""

from __future__ import annotations

import numpy as np
from harness import cosine_min, interleaved_rates, openvino_runner
from model_setup import Prepared


def inference(setup: Prepared, clips: np.ndarray, repeats: int) -> dict:
    """TF SavedModel, OpenVINO FP32 (true f32), INT8 and bf16 where the CPU has it, on the same clips."""
    import tensorflow as tf

    from vidx.model.runtime import cpu_has_bf16

    signature = tf.saved_model.load(str(setup.savedmodel), tags=[]).signatures["video"]
    tf_clips = tf.constant(clips)
    reference = signature(images=tf_clips)["video_embedding"].numpy()
    runs = {"tf": lambda: signature(images=tf_clips)}
    vectors = {}
    variants = {"fp32": ("video.xml", "f32"), "int8": ("video-int8.xml", "f32")}
    variants["int8_mixed"] = ("video-int8-mixed.xml", "f32")
    if cpu_has_bf16():
        variants["bf16"] = ("video.xml", "bf16")
    for name, (xml, hint) in variants.items():
        runs[f"ov_{name}"], vectors[name] = openvino_runner(str(setup.folder / xml), clips, hint)
    out = {f"{name}_clips_s": rate for name, rate in interleaved_rates(runs, len(clips), repeats).items()}
    out["fp32_vs_tf_cos_min"] = cosine_min(reference, vectors["fp32"])
    for name in variants.keys() - {"fp32"}:
        out[f"{name}_vs_fp32_cos_min"] = cosine_min(vectors["fp32"], vectors[name])
    active = setup.active.replace("-", "_")
    out["active_precision"] = setup.active
    out["active_clips_s"] = out[f"ov_{active}_clips_s"]
    out["active_cos_min"] = 1.0 if active == "fp32" else out[f"{active}_vs_fp32_cos_min"]
    out["active_vs_fp32"] = round(out["active_clips_s"] / out["ov_fp32_clips_s"], 2)
    return out
