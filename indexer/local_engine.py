"""The local engine: decoders in child processes on this machine, the embedder in this process."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from vidx.config import Settings

from .budget import budget
from .decoders import DecoderPool
from .plan import VideoJob
from .speech_words import installed_speech
from .stages import Event, embed


class LocalEngine:
    """index.engine = "local": decoders in child processes, the embedder here, batches spanning videos."""

    lazy_hash = False
    hears_speech = False  # the run's speech process hears beside it, on this machine

    def __init__(self, settings: Settings, model_folder: Path, vector_space: str):
        # The vector space is the Ray engine's check on its remote workers; here the model is read from the folder.
        self.settings = settings
        self.folder = model_folder
        self.embed_seconds = 0.0

    def embed(self, jobs: list[VideoJob]) -> Generator[Event, None, None]:
        from vidx.model.runtime import VideoEncoder

        cores = budget(self.settings, speech=installed_speech(self.settings) is not None)
        # Decoders start first, so they decode while the model compiles; closed however the run ends (Ctrl-C
        # included), so none outlives it.
        decoders = DecoderPool(self.settings, cores.decoders, jobs)
        try:
            encoder = VideoEncoder.from_settings(
                self.settings, self.folder, threads=cores.inference_threads, throughput=True
            )
            yield from embed(decoders.events(), encoder, self.settings.index.batch)
        finally:
            decoders.close()
        self.embed_seconds = encoder.busy_seconds
