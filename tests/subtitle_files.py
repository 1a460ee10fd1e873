"""Subtitle sidecars and videos with subtitle streams, made here: SRT/VTT text, and MKVs muxed through PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SRT = """1
00:00:00,500 --> 00:00:02,000
please remember to <i>feed</i> the cat

2
00:00:02,500 --> 00:00:04,000
before dinner
"""

VTT = """WEBVTT
Kind: captions

NOTE written by hand

intro
00:01.000 --> 00:03.250 align:start
<v Ann>the kite is flying</v> &amp; high

00:00:03.500 --> 00:00:05.000
over the <c.loud>hill</c>
"""

ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\an8}the lighthouse\\Nat night
"""


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def mkv_with_subtitles(path: Path, subtitle_files: list[Path], seconds: float = 5.0, bitmap: bool = False) -> Path:
    """A black H.264 MKV of `seconds` with the cues of each subtitle file (.srt, .vtt, .ass) as a stream of its
    own, copied as they are (FFmpeg's subtitle encoders need a header PyAV cannot give); `bitmap` adds a DVB
    subtitle stream, a picture format vidx must skip."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    sources = [av.open(str(f)) for f in subtitle_files]
    try:
        with av.open(str(path), "w") as out:
            video = out.add_stream("libx264", rate=10)
            video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
            streams = [out.add_stream_from_template(s.streams.subtitles[0]) for s in sources]
            dvb = out.add_stream("dvb_subtitle") if bitmap else None
            for i in range(round(seconds * 10)):
                frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="bgr24")
                frame.pts = i
                for packet in video.encode(frame):
                    out.mux(packet)
            for packet in video.encode(None):
                out.mux(packet)
            for source, stream in zip(sources, streams, strict=True):
                for packet in source.demux(source.streams.subtitles[0]):
                    if packet.dts is not None:
                        packet.stream = stream
                        out.mux(packet)
            if dvb is not None:
                packet = av.Packet(bytes(16))
                packet.stream, packet.time_base, packet.pts, packet.dts, packet.duration = dvb, dvb.time_base, 0, 0, 1
                out.mux(packet)
    finally:
        for source in sources:
            source.close()
    return path
