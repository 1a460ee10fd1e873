"""Speech to timed text with faster-whisper: CTranslate2 int8 on the CPU, behind its voice-activity filter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vidx.said import Segment

# Peak level (full scale 1.0) below which a track is silence without asking the voice-activity filter: -60 dBFS,
# quieter than any audible voice; spares the filter's 0.5% of real time on the digital silence of muted videos.
SILENCE = 1e-3


class Recogniser:
    """One installed Whisper model, loaded on the first audio that holds speech: a library of silent or
    soundless videos never pays for loading it."""

    def __init__(self, folder: Path, threads: int):
        self.folder = folder
        self.threads = max(1, threads)
        self._model = None

    def segments(self, samples: np.ndarray, offset: float = 0.0) -> Iterator[Segment]:
        """The lines heard in `samples` (float32 mono at 16 kHz), timed from `offset` seconds in the video."""
        if not len(samples) or float(np.abs(samples).max()) < SILENCE or not _voiced(samples):
            return
        parts, _info = self._loaded().transcribe(samples, vad_filter=True)
        for part in parts:
            text = part.text.strip()
            if text:
                yield Segment(round(offset + part.start, 3), round(offset + part.end, 3), text, "speech")

    def _loaded(self):
        if self._model is None:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(str(self.folder), device="cpu", compute_type="int8", cpu_threads=self.threads)
        return self._model


def _voiced(samples: np.ndarray) -> bool:
    """Whether the voice-activity filter hears anything: costs about 0.5% of the audio's length on one core,
    and spares silence both the model's loading and its language detection."""
    from faster_whisper.vad import get_speech_timestamps

    return bool(get_speech_timestamps(samples))
