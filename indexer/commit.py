"""The writer stage: each video's embedded clips committed to the store, one transaction per video."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from vidx.store import ClipVector
from vidx.store.catalog_writer import CatalogWriter

from .plan import VideoJob
from .stages import ClipReady, Event, VideoDone, VideoFailed
from .subtitle_words import SubtitleReader


@dataclass
class VideoUnfinished:
    """A file the engine could not finish this run (no worker left for it): reported, not recorded, so the next
    run tries it again."""

    job: VideoJob
    error: str


@dataclass(frozen=True)
class Written:
    """One file the writer committed: indexed with `clips` clips, or failed with `error`."""

    job: VideoJob
    clips: int = 0
    error: str | None = None
    unsettled: bool = False  # changed on disk while it was read: neither committed nor failed
    said: int = 0  # lines of subtitles (and speech the engine heard) stored with it
    speech_error: str | None = None  # why the speech the engine was to hear in it was lost

    @property
    def failed(self) -> bool:
        return self.error is not None and not self.unsettled


def commit(
    events: Iterable[Event | VideoUnfinished], store: CatalogWriter, subtitles: SubtitleReader
) -> Iterator[Written]:
    """Commit each video, with its subtitles (and the speech the engine heard), once all its clips have vectors; a
    failed file is recorded with its reason instead."""
    collected: dict[Path, list[ClipVector]] = {}
    for event in events:
        job = event.job
        stat = (job.size, job.mtime_ns)
        if isinstance(event, ClipReady):
            assert event.vector is not None, "commit takes the embedder's events, each clip with its vector"
            c = event.clip
            collected.setdefault(job.path, []).append(ClipVector(c.number, c.start, c.end, event.vector))
        elif isinstance(event, (VideoDone, VideoFailed)) and _changed_since_walk(job):
            collected.pop(job.path, None)
            yield Written(job, error="still being written", unsettled=True)
        elif isinstance(event, VideoDone):
            # The last clip's end is its last frame's time plus a sampling period: keep it within the video.
            length = event.info.duration
            clips = [replace(c, end=min(c.end, length)) if length else c for c in collected.pop(job.path, [])]
            words = subtitles.read(job.path)
            heard = event.speech
            store.save_video(job.root_id, str(job.path), stat, event.info, clips, words, speech=heard)
            said = len(words.segments) + (len(heard.lines) if heard else 0)
            yield Written(job, clips=len(clips), said=said, speech_error=heard.error if heard else None)
        elif isinstance(event, VideoFailed):
            collected.pop(job.path, None)
            store.save_failure(job.root_id, str(job.path), stat, event.error)
            yield Written(job, error=event.error)
        elif isinstance(event, VideoUnfinished):
            collected.pop(job.path, None)
            yield Written(job, error=event.error)


def _changed_since_walk(job: VideoJob) -> bool:
    """Whether the file's size or mtime moved while it was decoded: a copy still under way, read half-written."""
    try:
        st = os.stat(job.path)
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns) != (job.size, job.mtime_ns)
