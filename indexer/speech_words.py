"""The speech side of a run: videos heard in the speech process beside their pictures, and their lines stored.

A run hears every video it embeds, and every indexed video under its roots that the installed speech model has
not heard (one imported after the library was indexed): those keep their clips as they are. A video's lines are
stored in a transaction of their own once the video itself is committed, so `kill -9` loses at most the speech
in flight, which the next run hears again. A file whose speech is lost (undecodable audio, a crash of the speech
engine) keeps the reason, is not heard again until it changes, and costs one warning line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vidx.config import Settings
from vidx.filenames import printable
from vidx.store import Catalog
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.said_rows import unheard

from .speech import Transcript
from .transcriber import Transcriber


@dataclass(frozen=True)
class SpeechModel:
    folder: Path
    id: str  # model_id of its fingerprint, stored with each video's lines


def installed_speech(settings: Settings) -> SpeechModel | None:
    """The speech model a run hears with: None when speech.enabled is off or none was imported."""
    from vidx.model.space import model_id
    from vidx.model.speech_registry import active_speech_dir, active_speech_manifest

    if not settings.speech.enabled:
        return None
    folder, manifest = active_speech_dir(settings.home), active_speech_manifest(settings.home)
    return SpeechModel(folder, model_id(manifest.fingerprint)) if folder and manifest else None


class SpeechWords:
    """Hears the files given, in order, and stores each one's lines when its video is in the catalogue; with no
    model (speech off, or none installed) it hears nothing."""

    def __init__(self, catalog: Catalog, store: CatalogWriter, model: SpeechModel | None, threads: int, timeout: float):
        self.catalog = catalog
        self.store = store
        self.model = model
        self.transcriber = Transcriber(model.folder, threads, timeout) if model else None
        self.unsettled: set[str] = set()  # files this run embeds, not committed or failed yet
        self.early: dict[str, Transcript] = {}  # heard before their video was committed
        self.unread: set[str] = set()  # changed while their pictures were read: heard again by the next run
        self.segments = 0
        self.warnings: list[str] = []

    def __enter__(self) -> SpeechWords:
        return self

    def __exit__(self, *exc) -> None:
        if self.transcriber:
            self.transcriber.close()

    def hear(self, embedded: Iterable[Path], roots: Iterable[Path], by_engine: bool = False) -> None:
        """Hear the files this run embeds (unless the engine hears them itself, `by_engine`, and its events carry
        their speech), then the indexed videos under `roots` this model has not heard."""
        if not self.transcriber or not self.model:
            return
        names = [str(p) for p in embedded]
        heard_here = set() if by_engine else set(names)
        if not by_engine:
            self.unsettled = set(names)
            for name in names:
                self.transcriber.submit(Path(name))
        for root in roots:
            for name in unheard(self.catalog.db, str(root).rstrip("/") + "/", self.model.id):
                if name not in heard_here:
                    self.transcriber.submit(Path(name))
        self.collect()

    def settled(self, path: Path, committed: bool = True) -> None:
        """The video at `path` was committed, or failed: its lines can be stored now, or never. A file left for the
        next run (still being written) keeps none: what was heard is of a file still changing."""
        self.unsettled.discard(str(path))
        if not committed:
            self.unread.add(str(path))
        heard = self.early.pop(str(path), None)
        if heard is not None and committed:
            self._store(heard)
        self.collect()

    def collect(self) -> None:
        """Store what has been heard by now; never waits."""
        if not self.transcriber:
            return
        for transcript in self.transcriber.ready():
            self._arrived(transcript)

    def finish(self) -> None:
        """Wait for every file given, storing each as it ends."""
        if not self.transcriber:
            return
        for transcript in self.transcriber.finish():
            self._arrived(transcript)

    def _arrived(self, transcript: Transcript) -> None:
        if str(transcript.path) in self.unread:
            return
        if str(transcript.path) in self.unsettled:
            self.early[str(transcript.path)] = transcript
        else:
            self._store(transcript)

    def _store(self, transcript: Transcript) -> None:
        video = self.catalog.video(str(transcript.path))
        if video is None or video.status != "ok":
            return  # its pictures failed, or it left the catalogue meanwhile: nothing to attach the lines to
        assert self.model is not None
        # A name that is not UTF-8 is shown with \xNN escapes, in the catalogue as on the terminal.
        error = printable(transcript.error) or None
        self.store.save_speech(video.id, list(transcript.segments), self.model.id, error)
        self.segments += len(transcript.segments)
        if error:
            self.warnings.append(error)
