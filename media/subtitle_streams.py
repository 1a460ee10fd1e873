"""Text subtitle streams inside a video file (subrip, ass, mov_text, webvtt, ...) -> timed lines, through PyAV.

FFmpeg decodes every text subtitle format to ASS dialogue, so one reader serves them all. Bitmap subtitles
(PGS, DVB, DVD) are pictures of words: they are counted, not read (reading them would need OCR).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import av
from av.subtitles.subtitle import AssSubtitle

from vidx.errors import SubtitleError
from vidx.filenames import printable
from vidx.said import Segment

from .opening import openable

_OVERRIDE = re.compile(r"\{[^}]*\}")  # ASS override blocks: {\i1}, {\an8}, {\pos(10,20)}
_BREAK = re.compile(r"\\[Nnh]")  # ASS line breaks and hard spaces
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EmbeddedSubtitles:
    segments: list[Segment] = field(default_factory=list)
    bitmap_streams: int = 0  # subtitle streams that are pictures, skipped


def embedded_subtitles(path: str | Path) -> EmbeddedSubtitles:
    """The lines of every text subtitle stream in `path`, on the video's clock (its first frame at 0 s).

    A file without subtitle streams costs an open; with some, one pass over its packets, none of them decoded
    but the subtitles'. SubtitleError names the file when it cannot be read.
    """
    try:
        with openable(path) as name, av.open(name) as container:
            streams = container.streams.subtitles
            if not streams:
                return EmbeddedSubtitles()
            text = [s for s in streams if s.codec_context is not None and s.codec_context.codec.text_sub]
            bitmaps = len(streams) - len(text)
            if not text:
                return EmbeddedSubtitles(bitmap_streams=bitmaps)
            return EmbeddedSubtitles(_segments(container, text), bitmaps)
    except (av.FFmpegError, OSError) as e:
        raise SubtitleError(f"{printable(str(path))}: cannot read its subtitle streams ({_reason(e)})") from None


def _segments(container, streams) -> list[Segment]:
    video = container.streams.video[0] if container.streams.video else None
    origin = float(video.start_time * video.time_base) if video is not None and video.start_time else 0.0
    segments = []
    for packet in container.demux(*streams):
        if packet.pts is None:
            continue  # the demuxer's end-of-stream packet
        start = float(packet.pts * packet.time_base) - origin
        end = start + float((packet.duration or 0) * packet.time_base)
        for rect in packet.decode():
            line = _plain(rect.dialogue) if isinstance(rect, AssSubtitle) else ""
            if line:
                segments.append(Segment(round(start, 3), round(end, 3), line, "subtitles"))
    return sorted(segments, key=lambda s: (s.start, s.end))


def _plain(dialogue: bytes) -> str:
    text = _BREAK.sub(" ", _OVERRIDE.sub("", dialogue.decode("utf-8", errors="replace")))
    return _SPACE.sub(" ", text).strip()


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
