"""A video's sound as speech recognition takes it: the first audio track, 16 kHz mono float32, through PyAV."""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
import numpy as np

from vidx.errors import VidxError

from .opening import openable

RATE = 16000  # samples per second: Whisper's input rate


class AudioError(VidxError):
    """A file whose audio track cannot be decoded: its speech is lost, its pictures are not."""


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono, RATE per second
    offset: float  # seconds in the video where the first sample plays

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


def read_audio(path: str | os.PathLike) -> Audio | None:
    """The first audio track of `path`, resampled; None when the file has none. AudioError when it cannot be
    opened or not one sample of it decodes; a damaged stretch later on ends the track there."""
    with openable(path) as name:
        try:
            container = av.open(name)
        except av.FFmpegError as e:
            raise AudioError(f"{os.fspath(path)}: cannot open it to read its audio ({_reason(e)})") from None
        with container:
            if not container.streams.audio:
                return None
            return _decode(container, os.fspath(path))


def _decode(container, path: str) -> Audio:
    stream = container.streams.audio[0]
    stream.codec_context.thread_count = 1  # decoding runs beside the video decoders and the models
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks: list[np.ndarray] = []
    first: float | None = None
    failure: Exception | None = None
    try:
        for frame in container.decode(stream):
            if first is None and frame.time is not None:
                first = frame.time
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except (av.FFmpegError, ValueError) as e:
        failure = e
    samples = np.concatenate(chunks) if chunks else np.empty(0, np.float32)
    if failure is not None and not len(samples):
        raise AudioError(f"{path}: its audio cannot be decoded ({_reason(failure)})")
    return Audio(samples.astype(np.float32, copy=False), max(0.0, (first or 0.0) - _video_start(container)))


def _video_start(container) -> float:
    """Where the pictures start, in the container's clock: vidx times a video from its first frame."""
    for stream in container.streams.video:
        if stream.start_time is not None and stream.time_base is not None:
            return float(stream.start_time * stream.time_base)
    return 0.0


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
