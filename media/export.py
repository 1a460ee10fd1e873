"""Take a span of a video out as a file: H.264 + AAC in MP4, which browsers play, cut to the frame.

The span is decoded from the keyframe before it and re-encoded, so the file starts on the asked frame with a
picture (a stream copy would start at a keyframe, or show black or sound alone until the next one). Times are
the decoder's, relative to the video stream's start, as the indexer's are (OpenCV's FFmpeg reader does the same).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av

from vidx.disk_full import from_os
from vidx.errors import VidxError
from vidx.paths import absolute
from vidx.times import instant, span_in_name

from .opening import openable
from .transcode import SpanTranscoder, frame_step, picture_end


class ExportError(VidxError):
    """A span that cannot be written: unreadable source, empty or out-of-range span, unwritable target.

    `reason` is the message without the file it is about, for callers that must not show paths (the web app).
    """

    def __init__(self, about: Path, reason: str):
        super().__init__(f"{about}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Exported:
    path: Path  # absolute
    start: float  # the span written, in the source's seconds, after padding and clamping
    end: float
    audio: bool


def export_name(rank: int, video: str | Path, start: float, end: float) -> str:
    """`<rank>-<video stem>-<start>-<end>.mp4`, the times rounded as `vidx query` shows them (vidx.times.span):
    e.g. 1-holiday-0012.4-0027.2.mp4, or 3-long-6205-6310.mp4 for a moment of a minute or more."""
    return f"{rank}-{Path(video).stem}-{span_in_name(start, end)}.mp4"


def export(path: str | Path, start: float, end: float, out_file: str | os.PathLike[str], pad: float = 0.0) -> Exported:
    """Write [start, end] of the video at `path` (widened by `pad`, clamped to the video) to `out_file`."""
    return _export(Path(path), start, end, pad, lambda a, b: Path(out_file))


def export_into(
    folder: str | Path, rank: int, path: str | Path, start: float, end: float, pad: float = 0.0
) -> Exported:
    """One search result into `folder`, named by export_name after the span actually written."""
    return _export(Path(path), start, end, pad, lambda a, b: Path(folder) / export_name(rank, path, a, b))


def _export(source: Path, start: float, end: float, pad: float, target_for: Callable[[float, float], Path]) -> Exported:
    if start < 0 or end < 0 or pad < 0:
        raise ExportError(source, f"a span cannot be negative (asked {start:g} to {end:g}, pad {pad:g})")
    if end <= start:
        raise ExportError(source, f"empty span {instant(start)} to {instant(end)}: END must come after START")
    if not source.is_file():
        raise ExportError(source, "no such file (moved or deleted?)")
    try:
        with openable(source) as name:
            container = av.open(name)  # FFmpeg holds a descriptor of its own from here on
    except (av.FFmpegError, OSError) as e:
        raise ExportError(source, f"cannot read it as a video ({_reason(e)})") from None
    with container:
        if not container.streams.video:
            raise ExportError(source, "has no video stream")
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        try:
            length = picture_end(container, video)
        except av.FFmpegError as e:
            raise ExportError(source, f"cannot read it as a video ({_reason(e)})") from None
        if length is None:
            raise ExportError(source, "no video frame in it could be read")
        step = frame_step(video)
        video_end = f"past the end of the video ({instant(length)})"
        if start >= length - step / 2:
            raise ExportError(source, f"the span starts at {instant(start)}, {video_end}")
        if end > length + step:
            raise ExportError(source, f"the span ends at {instant(end)}, {video_end}")
        a, b = max(0.0, start - pad), min(length, end + pad)
        target = absolute(target_for(a, b))
        tmp = _temp_beside(target)
        try:
            with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                SpanTranscoder(container, video, audio, out, a, b).run()
            os.replace(tmp, target)
        except OSError as e:  # FFmpeg's I/O errors are OSErrors too; the source already read well up to here
            tmp.unlink(missing_ok=True)
            raise ExportError(target, _cannot("cannot write it", e, target)) from None
        except av.FFmpegError as e:
            tmp.unlink(missing_ok=True)
            raise ExportError(source, f"cannot decode {instant(a)} to {instant(b)} ({_reason(e)})") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return Exported(target, a, b, audio is not None)


def _reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def _cannot(what: str, e: OSError, target: Path) -> str:
    """Why a write failed; a full disk or a size limit said as vidx says them everywhere."""
    full = from_os(e, target)
    return f"{what}: {full.reason}" if full else f"{what} ({_reason(e)})"


def _temp_beside(target: Path) -> Path:
    """A hidden temporary file in the target's folder, so the final rename is atomic and a failure leaves nothing."""
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(folder, f"no such folder to write {target.name} in")
    if target.is_dir():
        raise ExportError(target, f"is a folder; give a file name, e.g. {target / 'clip.mp4'}")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part", dir=folder)
    except OSError as e:
        raise ExportError(folder, _cannot("cannot write there", e, target)) from None
    os.close(fd)
    # mkstemp makes the file private; an exported clip is for sharing, so it gets the user's usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)
