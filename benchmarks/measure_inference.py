"""Inference alone: TF against OpenVINO FP32, INT8 and bf16 on the same clips, and how far their vectors differ."""

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
    variants = [("ov_fp32", "video.xml", "f32"), ("ov_int8", "video-int8.xml", "f32")]
    if cpu_has_bf16():
        variants.append(("ov_bf16", "video.xml", "bf16"))
    for name, xml, hint in variants:
        runs[name], vectors[name] = openvino_runner(str(setup.folder / xml), clips, hint)
    out = {f"{name}_clips_s": rate for name, rate in interleaved_rates(runs, len(clips), repeats).items()}
    out["fp32_vs_tf_cos_min"] = cosine_min(reference, vectors["ov_fp32"])
    out["int8_vs_fp32_cos_min"] = cosine_min(vectors["ov_fp32"], vectors["ov_int8"])
    if "ov_bf16" in vectors:
        out["bf16_vs_fp32_cos_min"] = cosine_min(vectors["ov_fp32"], vectors["ov_bf16"])
    return out
