"""Subtitle files (SubRip .srt, WebVTT .vtt) -> timed lines, whatever their text encoding.

Decoding: a byte-order mark decides (UTF-8, UTF-16); without one, UTF-8 if the bytes are valid UTF-8, else
cp1252 (Windows subtitle editors), else latin-1, which takes any byte. A NUL byte without a UTF-16 mark means
the file is not text at all.

Parsing is tolerant where real files are sloppy and strict where a guess would put words at the wrong time: an
SRT cue number is optional, hours may be left out, a comma or a dot parts the milliseconds, a blank line inside
a cue's text keeps that text with its cue. A timing line that cannot be read, or a cue that ends before it
starts, makes the whole file unreadable, named with the line.
"""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path

from vidx.errors import SubtitleError
from vidx.filenames import printable
from vidx.said import Segment

# A film's subtitles are some 100 KB; a "subtitle" file this large is something else.
MAX_BYTES = 16 << 20

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_TIMING_LIKE = re.compile(rf"-->|^\s*{_TIME}")  # meant as a timing line, so it must read as one
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like tags, WebVTT voice/class/timestamp tags, ASS overrides
_SPACE = re.compile(r"\s+")
_SKIPPED_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")


def read_subtitles(path: Path) -> list[Segment]:
    """The cues of an .srt or .vtt file as segments of source "subtitles"; SubtitleError names the file."""
    shown = printable(str(path))
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SubtitleError(f"{shown}: larger than {MAX_BYTES >> 20} MB, not a subtitle file")
        data = path.read_bytes()
    except OSError as e:
        raise SubtitleError(f"{shown}: cannot read it ({e.strerror or e})") from None
    try:
        return parse(decode(data), webvtt=path.suffix.lower() == ".vtt")
    except ValueError as e:
        raise SubtitleError(f"{shown}: {e}") from None


def decode(data: bytes) -> str:
    """The text of a subtitle file; ValueError when it is not text."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValueError("not valid UTF-16 after its byte-order mark") from None
    if b"\x00" in data:
        raise ValueError("binary data, not subtitles")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse(text: str, webvtt: bool) -> list[Segment]:
    """Cues in file order; ValueError names the line (from 1) of the first timing that cannot be read."""
    lines = text.splitlines()
    if webvtt and not (lines and lines[0].lstrip("\ufeff").startswith("WEBVTT")):
        raise ValueError("not a WebVTT file (its first line must be WEBVTT)")
    cues: list[tuple[float, float, list[str]]] = []
    for number, block in _blocks(lines):
        if webvtt and (number == 1 or block[0].split(" ")[0] in _SKIPPED_VTT_BLOCKS):
            continue
        # An SRT cue number or a WebVTT cue identifier may come before the timing.
        at = next((i for i, line in enumerate(block[:2]) if _TIMING_LIKE.search(line)), None)
        if at is None:
            if not cues:
                raise ValueError(f"line {number}: expected a cue timing such as 00:00:01,000 --> 00:00:02,500")
            cues[-1][2].extend(block)  # a blank line inside the previous cue's text
            continue
        start, end = _timing(block[at], number + at)
        cues.append((start, end, block[at + 1 :]))
    if not cues and any(line.strip() for line in lines[1 if webvtt else 0 :]):
        raise ValueError("no cue in it")
    segments = (Segment(start, end, _clean(body), "subtitles") for start, end, body in cues)
    return [s for s in segments if s.text]


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with the number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line)
        else:
            current = []
    return blocks


def _timing(line: str, number: int) -> tuple[float, float]:
    found = _TIMING.match(line)
    start = _seconds(found.groups()[:4]) if found else None
    end = _seconds(found.groups()[4:]) if found else None
    if start is None or end is None:
        raise ValueError(f"line {number}: cannot read the cue timing {line.strip()!r}")
    if end < start:
        raise ValueError(f"line {number}: the cue ends before it starts ({line.strip()!r})")
    return start, end


def _seconds(parts: tuple[str, ...]) -> float | None:
    hours, minutes, seconds, fraction = parts
    if int(minutes) >= 60 or int(seconds) >= 60:
        return None
    return round(int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000, 3)


def _clean(body: list[str]) -> str:
    """One line of plain text: tags dropped, entities (&amp;) read, whitespace folded."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", " ".join(body)))).strip()
