"""SavedModel -> two OpenVINO IRs: text (strings in, tokenised in the graph) and video, both with dynamic batch."""

from __future__ import annotations

from pathlib import Path

from vidx.errors import VidxError

VIDEO_IN, VIDEO_OUT = "images", "video_embedding"
TEXT_IN, TEXT_OUT = "words", "text_embedding"


def _without_telemetry() -> None:
    """Point ovc at OpenVINO's own no-op telemetry stub.

    ovc otherwise reports usage over the network from a forked process; vidx works offline, and that fork
    segfaulted the importing process here.
    """
    from openvino.tools.ovc import convert_impl, telemetry_stub, telemetry_utils

    convert_impl.tm = telemetry_stub
    telemetry_utils.tm = telemetry_stub


def _names(model) -> list[str]:
    ports = [p.output(0) for p in model.get_parameters()] + list(model.outputs)
    return sorted({n for port in ports for n in port.get_names()})


def _first_line(error: Exception) -> str:
    """The informative line of a frontend error: its summary of failed operations when it has one."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    summary = [line for line in lines if line.startswith("-- Conversion is failed for:")]
    if summary:
        return "unsupported operations: " + summary[-1].split(":", 1)[1].strip()
    return lines[0] if lines else type(error).__name__


def convert(savedmodel: Path, out_dir: Path, frames: int = 32, size: int = 224) -> dict:
    """Write text.xml and video.xml into out_dir; returns their input and output shapes."""
    import openvino as ov
    import openvino_tokenizers  # noqa: F401  registers the string ops (lower, split, lookup) with the converter

    _without_telemetry()
    # Each branch is converted on its own, cut at its input and output: sub-models carved out of one converted
    # graph share nodes, and OpenVINO 2026.4 crashes when such string-typed nodes are freed.
    shapes = {}
    for part, inp, out in (("text", TEXT_IN, TEXT_OUT), ("video", VIDEO_IN, VIDEO_OUT)):
        try:
            model = ov.convert_model(str(savedmodel), input=[inp], output=[out])
        except Exception as e:  # the TF frontend raises bare RuntimeErrors for every kind of failure
            raise _explain(savedmodel, e) from None
        if part == "video":
            model.reshape({inp: ov.PartialShape([-1, frames, size, size, 3])})
        # FP32 means FP32: save_model would otherwise store the weights as FP16.
        ov.save_model(model, out_dir / f"{part}.xml", compress_to_fp16=False)
        shapes[inp] = [d.get_length() if d.is_static else -1 for d in model.input(0).get_partial_shape()]
        shapes[out] = [d.get_length() if d.is_static else -1 for d in model.output(0).get_partial_shape()]
    return shapes


def _explain(savedmodel: Path, error: Exception) -> VidxError:
    """Tell a SavedModel without the S3D signatures from one that does not convert at all."""
    import openvino as ov

    try:
        names = _names(ov.convert_model(str(savedmodel)))
    except Exception as e:  # as above
        return VidxError(f"{savedmodel} could not be converted to OpenVINO: {_first_line(e)}")
    missing = [n for n in (VIDEO_IN, TEXT_IN, VIDEO_OUT, TEXT_OUT) if n not in names]
    if missing:
        return VidxError(
            f"{savedmodel} lacks the `video` and `text` signatures of S3D MIL-NCE "
            f"(missing {', '.join(missing)}; it has {', '.join(names) or 'nothing'})"
        )
    return VidxError(f"{savedmodel} could not be converted to OpenVINO: {_first_line(error)}")
