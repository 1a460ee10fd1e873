"""Sampled decoding with PyAV: only the frames a clip uses are converted, and non-reference frames no clip
uses are never decoded (FFmpeg's skip_frame, set packet by packet).

Each sample time k/fps takes the nearest frame within half a sampling period, preferring one the decoder has
to decode anyway (a reference frame); a sample time with no frame that close takes none. Packet timestamps are
known before decoding, so the choice is made before a packet reaches the decoder.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np

from vidx.errors import DecodeError

from .frames import DecodeStats, Frame, crop_center_square, preprocess
from .opening import openable


def sample_frames(path: Path, fps: float, size: int, stats: DecodeStats, delay: float = 0.0) -> Iterator[Frame]:
    """Yield preprocessed frames sampled at `fps` (> 0) in time order; counts every frame of the stream."""
    with openable(path) as name:
        try:
            container = av.open(name)
        except av.FFmpegError:
            raise DecodeError(f"{path}: not a video FFmpeg can open (unknown format or damaged header)") from None
        with container:
            yield from _sampled(container, path, fps, size, stats, delay)
    if stats.frames == 0:
        raise DecodeError(f"{path}: no frame could be decoded (empty, truncated or not a video)")


def _sampled(container, path: Path, fps: float, size: int, stats: DecodeStats, delay: float) -> Iterator[Frame]:
    if not container.streams.video:
        raise DecodeError(f"{path}: no video stream in it (audio only?)")
    stream = container.streams.video[0]
    codec = stream.codec_context
    # One thread per decoder: vidx runs several decoders instead, and skip_frame changes between packets.
    codec.thread_count = 1
    sampler = _Sampler(1.0 / fps, _reference_test(codec.name, codec.extradata))
    base = float(stream.time_base)
    origin = stream.start_time or 0
    rate = float(stream.average_rate or 0)
    step = 1.0 / rate if 1 <= rate <= 240 else 1.0 / 25
    waiting: deque = deque()
    latest = -math.inf
    for packet in _packets(container, stream):
        if packet.size == 0:
            continue
        if packet.pts is None:
            guess = round((max(latest, -step) + step) / base) + origin
            packet.pts = packet.dts if packet.dts is not None else guess
        t = (packet.pts - origin) * base
        latest = max(latest, t)
        stats.frames += 1
        stats.duration = max(stats.duration, t + step)
        sampler.add(packet.pts, t, packet)
        # Every later packet decodes no earlier than this one (dts order), and shows no earlier than it decodes.
        sampler.close_before(((packet.dts if packet.dts is not None else packet.pts) - origin) * base)
        waiting.append(packet)
        while waiting and sampler.settled(waiting[0].pts):
            yield from _used(sampler, _decode(codec, sampler, waiting.popleft(), delay), size)
    sampler.close_before(math.inf, end=stats.duration)
    while waiting:
        yield from _used(sampler, _decode(codec, sampler, waiting.popleft(), delay), size)
    yield from _used(sampler, _decode(codec, sampler, None, 0.0), size)


def _packets(container, stream) -> Iterator:
    """The stream's packets in decoding order; damaged data ends the stream there, as it ends OpenCV's reader."""
    packets = container.demux(stream)
    while True:
        try:
            yield next(packets)
        except (StopIteration, av.FFmpegError):
            return


class _Sampler:
    """Which frame each sample time takes, decided once no later packet can fall in its window."""

    def __init__(self, period: float, is_reference: Callable[[memoryview], bool | None]):
        self.period = period
        self.is_reference = is_reference
        self.windows: dict[int, list[tuple[float, int, bool | None]]] = {}
        self.window_of: dict[int, int] = {}
        self.closed = -1  # every window up to this one is decided
        self.chosen: dict[int, float] = {}  # pts -> time of the frames used
        self.full: set[int] = set()  # chosen frames the decoder would skip as non-reference

    def add(self, pts: int, t: float, packet) -> None:
        k = math.floor(t / self.period + 0.5)
        self.window_of[pts] = k
        if k > self.closed:
            self.windows.setdefault(k, []).append((t, pts, self.is_reference(memoryview(packet))))

    def close_before(self, horizon: float, end: float = math.inf) -> None:
        """Decide every window that ends at or before `horizon` (a small margin for rounding); sample times at or
        past `end`, the end of the video, take no frame."""
        last = math.floor(horizon / self.period - 0.5) - 1 if horizon != math.inf else max(self.windows, default=-1)
        for k in sorted(k for k in self.windows if k <= last):
            candidates = self.windows.pop(k)
            sample = k * self.period
            if sample >= end - 1e-9:
                continue
            cheap = [c for c in candidates if c[2]]
            t, pts, reference = min(cheap or candidates, key=lambda c: (abs(c[0] - sample), c[0]))
            self.chosen[pts] = t
            if not reference:
                self.full.add(pts)
        self.closed = max(self.closed, last)

    def settled(self, pts: int) -> bool:
        return self.window_of[pts] <= self.closed


def _decode(codec, sampler: _Sampler, packet, delay: float) -> list:
    if packet is not None:
        sampler.window_of.pop(packet.pts, None)
        if delay:
            time.sleep(delay)
        needed = packet.pts in sampler.full
        sampler.full.discard(packet.pts)
        codec.skip_frame = "DEFAULT" if needed else "NONREF"
    try:
        return codec.decode(packet)
    except av.FFmpegError:
        return []  # a damaged packet costs its frame, as with OpenCV


def _used(sampler: _Sampler, frames: list, size: int) -> Iterator[Frame]:
    for frame in frames:
        t = sampler.chosen.pop(frame.pts, None)
        if t is not None:
            yield Frame(t, t + sampler.period, preprocess(_bgr_square(frame), size))


# One frame per size to crop into, reused: converting it makes a new frame, so it is free again at once.
_SQUARES: dict[tuple[int, str], av.VideoFrame] = {}


def _bgr_square(frame) -> np.ndarray:
    """The frame's centre square as BGR uint8, converted by FFmpeg's swscale as OpenCV's reader converts the
    whole frame. 4:2:0 frames are cropped before converting (a 16:9 frame: 44% less to convert): each 2x2
    block converts on its own, so a crop at even offsets gives the same pixels."""
    w, h = frame.width, frame.height
    side = min(w, h)
    x, y = w // 2 - side // 2, h // 2 - side // 2
    if frame.format.name not in ("yuv420p", "yuvj420p") or (x | y | side) % 2 or side == w == h:
        return crop_center_square(_bgr(frame))
    square = _SQUARES.get((side, frame.format.name))
    if square is None:
        square = _SQUARES[side, frame.format.name] = av.VideoFrame(side, side, frame.format.name)
    for i, (left, top, extent) in enumerate(((x, y, side), (x // 2, y // 2, side // 2), (x // 2, y // 2, side // 2))):
        src, dst = frame.planes[i], square.planes[i]
        rows = np.frombuffer(src, np.uint8).reshape(-1, src.line_size)[top : top + extent, left : left + extent]
        np.frombuffer(memoryview(dst), np.uint8).reshape(-1, dst.line_size)[:extent, :extent] = rows
    square.colorspace, square.color_range = frame.colorspace, frame.color_range
    return _bgr(square)


def _bgr(frame) -> np.ndarray:
    """The frame as BGR uint8; a view of swscale's output, no copy."""
    bgr = frame.reformat(format="bgr24")
    plane = bgr.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(bgr.height, plane.line_size)
    return rows[:, : bgr.width * 3].reshape(bgr.height, bgr.width, 3)


def _reference_test(codec: str, extradata: bytes | None) -> Callable[[memoryview], bool | None]:
    """Whether a packet holds a reference frame, from its first slice's NAL header (H.264, HEVC); None: unknown."""
    where = 4 if codec == "h264" else 21  # lengthSizeMinusOne in the avcC / hvcC record
    length = (extradata[where] & 3) + 1 if extradata and len(extradata) > where and extradata[0] == 1 else 0
    if codec == "h264":

        def test(data: memoryview) -> bool | None:
            for header in _nal_headers(data, length):
                if 1 <= header & 31 <= 5:
                    return header >> 5 != 0
            return None

    elif codec == "hevc":

        def test(data: memoryview) -> bool | None:
            for header in _nal_headers(data, length):
                kind = header >> 1 & 63
                if kind < 32:
                    return not (kind <= 14 and kind % 2 == 0)
            return None

    else:
        return lambda data: None
    return test


def _nal_headers(data: memoryview, length: int) -> Iterator[int]:
    """First header byte of each NAL unit: length-prefixed (MP4, MKV) or after start codes (Annex B, MPEG-TS)."""
    if length:
        i = 0
        while i + length < len(data):
            yield data[i + length]
            i += length + int.from_bytes(data[i : i + length], "big")
        return
    raw = bytes(data)
    i = raw.find(b"\x00\x00\x01")
    while 0 <= i < len(raw) - 3:
        yield raw[i + 3]
        i = raw.find(b"\x00\x00\x01", i + 3)
