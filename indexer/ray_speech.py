"""Speech on the Ray engine's workers: the speech model shipped through the object store, each worker hearing
the files it decodes in a speech process of its own (transcriber.py, as on one machine), and the lines it heard
carried back in the file's row, which the driver commits with the video's clips.

The model's folder is written once per node and model, under the node's temporary folder, named by the digest of
its bytes: a worker that finds it there (another worker on the node, an earlier run) fetches nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ray

from vidx.errors import VidxError
from vidx.filenames import printable
from vidx.model.speech_registry import model_files
from vidx.said import Segment
from vidx.store.said_rows import Speech

from .speech import Transcript
from .speech_words import SpeechModel
from .transcriber import Transcriber


def digest(blobs: dict[str, bytes]) -> str:
    """sha256 of a model's files, in name order: what a worker checks the bytes it received against."""
    hashed = hashlib.sha256()
    for name in sorted(blobs):
        hashed.update(name.encode() + b"\0" + blobs[name])
    return hashed.hexdigest()


@dataclass(frozen=True)
class SpeechFiles:
    """The speech model as the workers receive it: file name -> object-store ref of its bytes."""

    refs: dict
    sha256: str


def ship(model: SpeechModel) -> SpeechFiles:
    """The installed speech model's files, put in the object store (on the driver)."""
    blobs = {name: (model.folder / name).read_bytes() for name in model_files(model.folder)}
    return SpeechFiles({name: ray.put(data) for name, data in blobs.items()}, digest(blobs))


def node_folder(files: SpeechFiles) -> Path:
    """The speech model's folder on this node, written from the object store unless a worker already did."""
    folder = Path(tempfile.gettempdir()) / f"vidx-speech-{files.sha256[:16]}"
    if folder.is_dir():
        return folder
    blobs = {name: ray.get(ref) for name, ref in files.refs.items()}
    if digest(blobs) != files.sha256:
        raise VidxError("the speech model arrived damaged (its bytes differ from the driver's)")
    scratch = Path(tempfile.mkdtemp(prefix=".vidx-speech-", dir=folder.parent))
    for name, data in blobs.items():
        (scratch / name).write_bytes(data)
    try:
        os.rename(scratch, folder)  # whole or not at all, as another worker of this node may be writing it too
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)  # the other worker's copy is there: the same bytes
    return folder


class WorkerSpeech:
    """A worker's speech: `start` a file as its decoding starts, `wait` for its lines once its clips are embedded."""

    def __init__(self, files: SpeechFiles, threads: int, timeout: float):
        self.transcriber = Transcriber(node_folder(files), threads, timeout)

    def start(self, path: Path) -> None:
        self.transcriber.submit(path)

    def wait(self, beat) -> Transcript:
        """The file's Transcript; `beat` is called while the speech process works, to show the worker alive."""
        while True:
            heard = self.transcriber.ready()
            if heard:
                return heard[0]
            beat()
            time.sleep(0.1)


def as_row(transcript: Transcript | None) -> dict:
    """A Transcript as the row's columns (None: this worker hears nothing, as when no speech model is installed)."""
    if transcript is None:
        return {"heard": [False], "speech": [b"[]"], "speech_error": [b""]}
    lines = [[s.start, s.end, s.text] for s in transcript.segments]
    # The reason names the file, whose name need not be UTF-8: it travels as bytes, as the row's path does.
    return {"heard": [True], "speech": [json.dumps(lines).encode()], "speech_error": [os.fsencode(transcript.error)]}


def from_row(row: dict, model: SpeechModel | None) -> Speech | None:
    """What a worker heard of a file, as the driver stores it with the video; None when the worker heard nothing."""
    if model is None or not bool(row["heard"]):
        return None
    lines = [Segment(start, end, text, "speech") for start, end, text in json.loads(bytes(row["speech"]))]
    # A name that is not UTF-8 is shown with \xNN escapes, in the catalogue as on the terminal.
    return Speech(lines, model.id, printable(os.fsdecode(bytes(row["speech_error"]))) or None)
