"""Re-encode a span of a video: decoded from the keyframe before it, written as H.264 + AAC from its first frame.

Video frames keep their source times, re-timed from the span's start; the sound is cut to the same samples.
"""

from __future__ import annotations

import math
from fractions import Fraction

import av
import numpy as np

# Output timestamps in the MPEG 90 kHz clock: fine enough for any frame rate, variable ones included.
TIME_BASE = Fraction(1, 90_000)
AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
# x264's default quality; "veryfast" keeps a minute of 1080p to seconds on two cores at a slightly larger file.
CRF, PRESET = 20, "veryfast"


def _origin(video) -> int:
    return video.start_time if video.start_time is not None else 0


def frame_step(video) -> float:
    """A frame's length, only to size tolerances: the container's average rate, else 25 fps."""
    rate = video.average_rate or video.guessed_rate
    return float(1 / rate) if rate and 1 <= rate <= 1000 else 0.04


def picture_end(container, video) -> float | None:
    """Where the last frame ends, from the packets after the last keyframe (not the container's duration field);
    None when no packet has a time."""
    times: list[int] = []
    last = None
    for attempt in ("end", "start"):
        try:
            container.seek(2**62 if attempt == "end" else 0, stream=video, backward=True)
        except av.FFmpegError:
            continue
        for packet in container.demux(video):
            if packet.pts is not None:
                times.append(packet.pts)
                last = max(last or packet.pts, packet.pts + (packet.duration or 0))
        if last is not None:
            break
    if last is None:
        return None
    times.sort()
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    if last == times[-1] and gaps:  # packets without durations: the last frame lasts as long as the one before
        last += gaps[-1]
    return float((last - _origin(video)) * video.time_base)


class SpanTranscoder:
    """Decode [a, b] of the source and encode it: video frames re-timed from 0, audio cut to the same samples."""

    def __init__(self, container, video, audio, out, a: float, b: float):
        self.container, self.video, self.audio, self.out = container, video, audio, out
        self.a, self.b = a, b
        self.origin_s = float(_origin(video) * video.time_base)
        width, height = video.codec_context.width, video.codec_context.height
        self.size = (max(2, width - width % 2), max(2, height - height % 2))  # 4:2:0 needs even sides
        self.vout = out.add_stream("libx264", rate=video.average_rate or video.guessed_rate or 25)
        self.vout.width, self.vout.height = self.size
        self.vout.pix_fmt = "yuv420p"
        self.vout.time_base = self.vout.codec_context.time_base = TIME_BASE
        self.vout.codec_context.options = {"crf": str(CRF), "preset": PRESET}
        # No B-frames: packets leave in display order, each with its frame's duration, and no edit list is needed.
        self.vout.codec_context.max_b_frames = 0
        # (frame, source time): a frame is written once the next one says how long it lasts.
        self.pending: tuple[av.VideoFrame, float] | None = None
        self.written = 0
        self.durations: dict[int, int] = {}  # output pts -> how long that frame stays on screen
        self.video_done = False
        if audio is not None:  # the sound's state, aout first, exists only when the source has sound
            channels = audio.codec_context.channels or 2
            self.rate = audio.codec_context.sample_rate if audio.codec_context.sample_rate in AAC_RATES else 48000
            layout = "mono" if channels == 1 else "stereo"
            self.aout = out.add_stream("aac", rate=self.rate, layout=layout)
            self.aout.time_base = Fraction(1, self.rate)
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=self.rate)
            self.channels = 1 if channels == 1 else 2
            self.wanted = round((b - a) * self.rate)  # samples in the span
            self.cursor = 0  # samples of the span placed so far
            self.buffer = np.zeros((self.channels, 0), np.float32)
            self.encoded = 0
        self.audio_done = audio is None

    def run(self) -> None:
        self._seek()
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        for packet in self.container.demux(*streams):
            if packet.stream is self.video and not self.video_done:
                for frame in packet.decode():
                    self._video_frame(frame)
            elif packet.stream is self.audio and not self.audio_done:
                for frame in packet.decode():
                    for converted in self.resampler.resample(frame):
                        self._audio_frame(converted)
            if self.video_done and self.audio_done:
                break
        self._finish_video()
        if self.audio is not None:
            self._finish_audio()

    def _seek(self) -> None:
        """To a keyframe at least a second before the span, so the frame on screen at its start and the sound
        interleaved near it are decoded; some demuxers land after the asked time, so check and step back."""
        tb = self.video.time_base
        target = max(0.0, self.a - 1.0)
        while True:
            self.container.seek(math.floor((target + self.origin_s) / tb), stream=self.video, backward=True)
            first = next((p for p in self.container.demux(self.video) if p.pts is not None), None)
            if first is None or float(first.pts * tb) - self.origin_s <= self.a or target == 0.0:
                break
            target = max(0.0, target - 10.0)
        self.container.seek(math.floor((target + self.origin_s) / tb), stream=self.video, backward=True)

    def _time(self, frame, fallback: float) -> float:
        if frame.pts is None:
            return fallback
        return float(frame.pts * frame.time_base) - self.origin_s

    def _video_frame(self, frame) -> None:
        if self.video_done:  # one packet can release several frames
            return
        previous = self.pending[1] if self.pending else self.a
        t = self._time(frame, previous + frame_step(self.video))
        eps = 1e-6
        if t <= self.a + eps or self.pending is None:
            # Before the span: keep only the latest such frame, the one on screen at the span's start.
            self.pending = (frame, t)
            return
        self._emit(self.pending, t)
        if t >= self.b - eps:
            self.video_done = True
        else:
            self.pending = (frame, t)

    def _emit(self, pending: tuple[av.VideoFrame, float], until: float) -> None:
        """Encode the pending frame, on screen from max(its time, a) (0 for the first) until `until`."""
        frame, t = pending
        if self.written == 0 and frame.rotation:
            # Phones record upright video as rotated frames plus a display matrix: keep it, or browsers turn it.
            self.vout.set_display_rotation(frame.rotation)
        begin = 0.0 if self.written == 0 else max(t, self.a) - self.a
        out = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        out.pts = round(begin / TIME_BASE)
        out.time_base = TIME_BASE
        self.durations[out.pts] = max(1, round((min(until, self.b) - self.a) / TIME_BASE) - out.pts)
        self._mux_video(self.vout.encode(out))
        self.written += 1
        self.pending = None

    def _mux_video(self, packets) -> None:
        # The encoder guesses each packet's duration from the frame rate; the last frame's decides where the
        # file ends, so every packet gets the one its frame was given.
        for packet in packets:
            packet.duration = self.durations.pop(packet.pts, packet.duration)
            self.out.mux(packet)

    def _finish_video(self) -> None:
        if self.pending is not None:
            self._emit(self.pending, self.b)
        self._mux_video(self.vout.encode(None))

    def _audio_frame(self, frame) -> None:
        """Place the frame's samples at their time in the span: drop what falls outside, fill gaps with silence."""
        samples = frame.to_ndarray().reshape(self.channels, -1)
        if frame.pts is None:
            at = self.cursor
        else:
            at = round((float(frame.pts * frame.time_base) - self.origin_s - self.a) * self.rate)
        if at > self.cursor:
            samples = np.concatenate([np.zeros((self.channels, at - self.cursor), np.float32), samples], axis=1)
        elif at < self.cursor:
            samples = samples[:, self.cursor - at :]
        samples = samples[:, : self.wanted - self.cursor]
        self.cursor += samples.shape[1]
        self.buffer = np.concatenate([self.buffer, samples], axis=1)
        self._encode_audio(final=False)
        if self.cursor >= self.wanted:
            self.audio_done = True

    def _encode_audio(self, final: bool) -> None:
        size = self.aout.codec_context.frame_size or 1024
        while self.buffer.shape[1] >= size or final and self.buffer.shape[1]:
            chunk, self.buffer = self.buffer[:, :size], self.buffer[:, size:]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout=self.aout.layout)
            frame.sample_rate = self.rate
            frame.pts = self.encoded
            frame.time_base = self.aout.time_base
            self.encoded += chunk.shape[1]
            for packet in self.aout.encode(frame):
                self.out.mux(packet)

    def _finish_audio(self) -> None:
        for converted in self.resampler.resample(None):
            if not self.audio_done:
                self._audio_frame(converted)
        if self.cursor < self.wanted:  # the sound stopped before the picture: silence to the end of the span
            self.buffer = np.concatenate(
                [self.buffer, np.zeros((self.channels, self.wanted - self.cursor), np.float32)], axis=1
            )
            self.cursor = self.wanted
        self._encode_audio(final=True)
        for packet in self.aout.encode(None):
            self.out.mux(packet)
