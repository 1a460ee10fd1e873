"""Hearing one file: its audio track decoded, then recognised. Whatever goes wrong costs that file's speech only,
and the reason is kept."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vidx.media.audio import AudioError, read_audio
from vidx.model.recogniser import Recogniser
from vidx.said import Segment

# Test hooks: a file name on which the speech process dies of SIGSEGV, as a crash inside CTranslate2 would; seconds
# to wait before hearing each file, for tests that must catch a run while it hears.
DEBUG_CRASH = "VIDX_DEBUG_SPEECH_CRASH"
DEBUG_DELAY = "VIDX_DEBUG_SPEECH_DELAY"


@dataclass(frozen=True)
class Transcript:
    path: Path
    segments: tuple[Segment, ...] = ()
    audio_seconds: float = 0.0  # 0 for a file without an audio track
    error: str = ""  # why this file's speech was lost; "" when it was heard, or there was nothing to hear
    seconds: float = 0.0  # spent decoding and recognising it


def hear(path: Path, recogniser: Recogniser, progress: Callable[[], None] = lambda: None) -> Transcript:
    """The speech of `path`; `progress` is called after the audio is decoded and after each line heard."""
    started = time.perf_counter()
    if os.environ.get(DEBUG_CRASH) == path.name:
        os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(float(os.environ.get(DEBUG_DELAY) or 0))
    try:
        audio = read_audio(path)
    except AudioError as e:
        return Transcript(path, error=str(e), seconds=_since(started))
    except OSError as e:
        return Transcript(path, error=f"{path}: {e.strerror or e}", seconds=_since(started))
    if audio is None:
        return Transcript(path, seconds=_since(started))
    progress()
    heard: list[Segment] = []
    try:
        for segment in recogniser.segments(audio.samples, audio.offset):
            heard.append(segment)
            progress()
    except Exception as e:  # the engine's own failures (CTranslate2, ONNX Runtime) must not end the run
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        error = f"{path}: speech recognition failed ({reason})"
        return Transcript(path, audio_seconds=audio.seconds, error=error, seconds=_since(started))
    return Transcript(path, tuple(heard), audio.seconds, seconds=_since(started))


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
