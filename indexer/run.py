"""One indexing run: plan what changed, then drive reader -> embedder -> writer, committing file by file."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vidx.config import Settings
from vidx.errors import DiskFull, VectorsDamaged
from vidx.filenames import printable
from vidx.store import Catalog
from vidx.store.catalog_writer import CatalogWriter, now

from .budget import budget
from .commit import VideoUnfinished, Written, commit
from .engines import Engine
from .plan import Failure, Placement, failure, make_plan
from .speech_words import SpeechWords, installed_speech
from .stages import Event, VideoDone, VideoFailed
from .subtitle_words import SubtitleReader, refresh_subtitles


@dataclass
class IndexSummary:
    """What one run did; `as_json` is the `vidx index --json` contract."""

    added: int = 0
    changed: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    still_being_written: int = 0  # changed during the run or too recently: left for the next run
    # Files left as they were that failed in an earlier run: not retried until they change, but still said, so
    # that a cron job's summary keeps showing them.
    failed_before: int = 0
    clips_embedded: int = 0
    seconds: float = 0.0
    # Busy seconds per stage; they overlap, so they need not add up to `seconds`. Decoding is summed over the
    # decoders, embedding is while the model runs, writing is SQLite and FAISS.
    decode_seconds: float = 0.0
    embed_seconds: float = 0.0
    write_seconds: float = 0.0
    clips_per_second: float = 0.0
    said_segments: int = 0  # lines of subtitles (and speech) stored by this run
    warnings: list[str] = field(default_factory=list)  # subtitles that could not be read, one line each
    video_seconds: float = 0.0  # length of the videos embedded (not in --json)

    def as_json(self) -> dict:
        data = asdict(self)
        del data["video_seconds"]
        return data


@dataclass(frozen=True)
class IndexProgress:
    """Where a run is: sent when it starts (`path` None), after each file, and when it ends (`finished`)."""

    total: int  # files to embed in this run
    done: int  # of those, embedded or failed so far
    clips_embedded: int
    seconds: float
    path: str | None = None
    outcome: str | None = None  # indexed, failed, removed, "moved from ...", "copy of ..."
    finished: bool = False


ProgressCallback = Callable[[IndexProgress], None]


class IndexStopped(DiskFull):
    """A run that found no room to write; `summary` is what it committed before, which the next run keeps."""

    def __init__(self, cause: DiskFull, summary: IndexSummary):
        super().__init__(str(cause), cause.reason)
        self.summary = summary


class _Reporter:
    def __init__(self, callback: ProgressCallback | None, summary: IndexSummary):
        self.callback = callback
        self.summary = summary
        self.started = time.perf_counter()
        self.total = 0
        self.done = 0

    def __call__(self, path: str | None = None, outcome: str | None = None, finished: bool = False) -> None:
        if outcome in ("indexed", "failed", "still being written"):
            self.done += 1
        if self.callback is not None:
            seconds = time.perf_counter() - self.started
            clips = self.summary.clips_embedded
            self.callback(IndexProgress(self.total, self.done, clips, seconds, path, outcome, finished))


def run_index(
    catalog: Catalog,
    roots: list[Path],
    settings: Settings,
    engine: Engine,
    vector_space: str,
    progress: ProgressCallback | None = None,
    retry_failed: bool = False,
) -> IndexSummary:
    """Index every root; vectors of another model or precision are re-embedded, never mixed."""
    summary = IndexSummary()
    report = _Reporter(progress, summary)
    try:
        _run(catalog, roots, settings, engine, vector_space, summary, report, retry_failed)
    except DiskFull as e:
        raise IndexStopped(e, _finished(summary, report)) from None
    return _finished(summary, report)


def _run(
    catalog: Catalog,
    roots: list[Path],
    settings: Settings,
    engine: Engine,
    vector_space: str,
    summary: IndexSummary,
    report: _Reporter,
    retry_failed: bool,
) -> None:
    stored_space = catalog.get_meta("vector_space")
    reembed_all = stored_space is not None and stored_space != vector_space
    subtitles = SubtitleReader(settings.index.extensions)
    with CatalogWriter(catalog) as store:
        for root in roots:
            store.add_root(root)
        plan = make_plan(catalog, roots, settings, reembed_all, retry_failed, engine.lazy_hash)
        summary.unchanged = plan.unchanged
        summary.still_being_written = plan.unsettled
        summary.failed_before = plan.failed_before
        summary.failed += plan.failed
        report.total = len(plan.embed)
        report()

        for video in plan.removals:
            store.delete_video(video.id)
            summary.removed += 1
            report(video.path, "removed")
        for move in plan.moves:
            store.move_video(move.source.id, move.root_id, str(move.path), move.stat)
            summary.moved += 1
            report(printable(str(move.path)), f"moved from {move.source.path}")
        for video, stat in plan.touches:
            store.touch_video(video.id, stat)
            summary.unchanged += 1
        anew = {str(job.path) for job in plan.embed} | {str(p.path) for p in plan.copies}
        summary.said_segments += refresh_subtitles(catalog, store, roots, subtitles, anew)

        if stored_space is None:
            # A first run stopped half-way must still say which model made the vectors it kept.
            store.set_meta("vector_space", vector_space)
        speech_model = installed_speech(settings)
        threads = budget(settings, speech=speech_model is not None).speech_threads
        # The speech process hears beside the decoders and the model; closed however the run ends.
        with SpeechWords(catalog, store, speech_model, threads, settings.index.timeout) as speech:
            speech.hear([job.path for job in plan.embed], roots, by_engine=engine.hears_speech)
            if plan.embed:
                # Closed however the loop ends, so the engine's processes (a decoder, a Ray cluster) end with it.
                with contextlib.closing(engine.embed(plan.embed)) as events:
                    for written in commit(_timed(events, summary), store, subtitles):
                        _count(written, summary)
                        speech.settled(written.job.path, committed=not written.unsettled)
                        if written.speech_error:
                            speech.warnings.append(written.speech_error)
                        report(printable(str(written.job.path)), _outcome(written))
                summary.embed_seconds = engine.embed_seconds
            for placement in plan.copies:
                _copy(catalog, store, placement, summary, report, subtitles)
            speech.finish()
        store.set_meta("vector_space", vector_space)
        summary.said_segments += speech.segments
    store.set_meta("last_run_end", now())
    summary.warnings = subtitles.warnings + speech.warnings


def _finished(summary: IndexSummary, report: _Reporter) -> IndexSummary:
    summary.seconds = round(time.perf_counter() - report.started, 2)
    summary.clips_per_second = round(summary.clips_embedded / summary.seconds, 2) if summary.seconds else 0.0
    for stage in ("decode_seconds", "embed_seconds", "write_seconds"):
        setattr(summary, stage, round(getattr(summary, stage), 2))
    report(finished=True)
    return summary


def _timed(events: Iterator[Event | VideoUnfinished], summary: IndexSummary) -> Iterator[Event | VideoUnfinished]:
    """The engine's events, counting the decoders' seconds and, between one event and the next, the writer's."""
    for event in events:
        if isinstance(event, (VideoDone, VideoFailed)):
            summary.decode_seconds += event.seconds
        if isinstance(event, VideoDone):
            summary.video_seconds += event.info.duration
        handed = time.perf_counter()
        yield event
        summary.write_seconds += time.perf_counter() - handed


def _outcome(written: Written) -> str:
    if written.unsettled:
        return "still being written"
    return "failed" if written.failed else "indexed"


def _count(written: Written, summary: IndexSummary) -> None:
    if written.unsettled:
        summary.still_being_written += 1
        return
    if written.error is not None:
        summary.failed.append(Failure(printable(str(written.job.path)), printable(written.error)))
        return
    summary.clips_embedded += written.clips
    summary.said_segments += written.said
    if written.job.known:
        summary.changed += 1
    else:
        summary.added += 1


def _copy(
    catalog: Catalog,
    store: CatalogWriter,
    placement: Placement,
    summary: IndexSummary,
    report,
    subtitles: SubtitleReader,
) -> None:
    """A file whose content is already indexed at another path takes that path's vectors: no embedding."""
    twins = catalog.videos_with_hash(placement.source_hash)
    path = str(placement.path)
    if not twins:
        failed = failure(path, "same content as a file that failed to index")
        store.save_failure(placement.root_id, path, placement.stat, failed.error)
        summary.failed.append(failed)
        return
    known = catalog.video(path) is not None
    words = subtitles.read(placement.path)
    for twin in twins:
        try:
            store.copy_video(twin.id, placement.root_id, path, placement.stat, words)
        except VectorsDamaged:
            continue
        summary.said_segments += len(words.segments)
        if known:
            summary.changed += 1
        else:
            summary.added += 1
        report(printable(path), f"copy of {twin.path}")
        return
    # Not recorded, so that the next run, after `vidx doctor --repair` has dropped the damaged twins, embeds it.
    summary.failed.append(failure(path, "same content as videos whose stored vectors are damaged; run vidx doctor"))
