"""Decide, per file, what a run must do: nothing, embed, move, copy, refresh or remove.

Path, size and mtime decide first; a content hash only where they disagree, so an unchanged library costs a
walk and a stat per file. With `lazy_hash` (an engine whose workers hash what they read), a file is hashed here
only when its size says it could be a move, a copy or an unchanged touch: equal content means equal size.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from vidx.config import Settings
from vidx.counting import counted
from vidx.filenames import printable
from vidx.store import Catalog, VideoRow

from .walk import walk

# Its own logger under "vidx", so that `vidx index --quiet` can leave its notice out.
log = logging.getLogger("vidx.index")


@dataclass(frozen=True)
class VideoJob:
    """One file to embed, with what the walk saw of it."""

    path: Path
    root_id: int
    size: int
    mtime_ns: int
    hash: str  # "" when the plan left hashing to the engine's worker
    known: bool = False


@dataclass
class Failure:
    path: str
    error: str


@dataclass
class Placement:
    """Existing vectors put at a new path: a copy of a video with that hash."""

    path: Path
    root_id: int
    stat: tuple[int, int]
    source_hash: str


@dataclass
class Move:
    """A file at a new path whose old path (`source`) is gone: the row and its vectors follow it."""

    source: VideoRow
    path: Path
    root_id: int
    stat: tuple[int, int]


@dataclass
class Plan:
    embed: list[VideoJob] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    copies: list[Placement] = field(default_factory=list)
    touches: list[tuple[VideoRow, tuple[int, int]]] = field(default_factory=list)
    removals: list[VideoRow] = field(default_factory=list)
    unchanged: int = 0
    failed_before: int = 0  # unchanged files that failed in an earlier run, so are still not indexed
    failed: list[Failure] = field(default_factory=list)
    unsettled: int = 0  # modified in the last index.settle_seconds, and not settled in the run's short wait


# A run waits this long at most for the files modified in the last index.settle_seconds (a copy or a download
# that ended just before the run), then indexes those that did not change meanwhile; a file that settles later is
# left for the next run.
SHORT_WAIT_NS = 10 * 10**9


def content_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def failure(path: Path | str, reason: str) -> Failure:
    """A file the run could not index, named as vidx shows names (see vidx.filenames.printable)."""
    shown = printable(str(path))
    return Failure(shown, f"{shown}: {printable(reason)}")


def make_plan(
    catalog: Catalog,
    roots: list[Path],
    settings: Settings,
    reembed_all: bool = False,
    retry_failed: bool = False,
    lazy_hash: bool = False,
) -> Plan:
    """What a run over `roots` must do; the roots are in the catalogue already (CatalogWriter.add_root), and the
    plan only reads it."""
    plan = Plan()
    seen: dict[str, tuple[int, tuple[int, int]]] = {}
    unsettled: set[str] = set()
    settled_before = time.time_ns() - int(settings.index.settle_seconds * 1e9)
    root_ids = catalog.root_ids()
    for root in roots:
        root_id = root_ids[str(root)]
        for found in walk(root, settings.index.extensions):
            try:
                info = found.stat()
            except OSError as e:
                plan.failed.append(failure(found, f"cannot read ({e.strerror or e}; dangling link?)"))
                continue
            if not stat.S_ISREG(info.st_mode):
                plan.failed.append(failure(found, "not a regular file (a pipe or a device?)"))
                continue
            seen[str(found)] = (root_id, (info.st_size, info.st_mtime_ns))
            if info.st_mtime_ns > settled_before:
                unsettled.add(str(found))  # kept in `seen`, so a known file being rewritten is not removed
    settled, gone = _settled_soon(unsettled, seen, int(settings.index.settle_seconds * 1e9))
    unsettled -= settled | gone
    for path in gone:
        del seen[path]  # deleted while the run waited: as if the walk had not found it

    vanished = [v for root in roots for v in catalog.videos_under(str(root)) if v.file not in seen]
    by_hash = {v.hash: v for v in vanished if v.hash and v.status == "ok"}
    rows = {path: catalog.video(path) for path in seen}
    # Sizes a new file must share with something to be a move or a copy of it (lazy_hash only).
    fresh_sizes = Counter(st[0] for path, (_, st) in seen.items() if rows[path] is None)
    indexed_sizes = catalog.ok_sizes() if lazy_hash else set()
    fresh: list[tuple[str, int, tuple[int, int]]] = []
    for path, (root_id, st) in seen.items():
        known = rows[path]
        if path in unsettled:
            plan.unsettled += 1
            continue
        if known is None:
            fresh.append((path, root_id, st))
            continue
        if (known.size, known.mtime_ns) == st and not reembed_all and not (retry_failed and known.status == "failed"):
            if known.status == "failed":
                plan.failed_before += 1
            else:
                plan.unchanged += 1
            continue
        maybe_touched = known.size == st[0] and known.status == "ok" and not reembed_all
        if lazy_hash and not maybe_touched and not fresh_sizes[st[0]]:
            plan.embed.append(VideoJob(Path(path), root_id, *st, "", known=True))
            continue
        digest = _hash(Path(path), plan)
        if digest is None:
            continue
        if digest == known.hash and known.status == "ok" and not reembed_all:
            plan.touches.append((known, st))
        else:
            plan.embed.append(VideoJob(Path(path), root_id, *st, digest, known=True))

    # Copies wait for their twin: one already indexed, or one embedded earlier in this run.
    embedding = {job.hash for job in plan.embed}
    embedding_sizes = {job.size for job in plan.embed}
    for path, root_id, st in fresh:
        if lazy_hash and fresh_sizes[st[0]] == 1 and st[0] not in indexed_sizes | embedding_sizes:
            plan.embed.append(VideoJob(Path(path), root_id, *st, ""))
            continue
        digest = _hash(Path(path), plan)
        if digest is None:
            continue
        if not reembed_all and digest in by_hash:
            plan.moves.append(Move(by_hash.pop(digest), Path(path), root_id, st))
        elif digest in embedding or (not reembed_all and any(_unchanged(v) for v in catalog.videos_with_hash(digest))):
            plan.copies.append(Placement(Path(path), root_id, st, digest))
        else:
            plan.embed.append(VideoJob(Path(path), root_id, *st, digest))
            embedding.add(digest)
    moved = {m.source.id for m in plan.moves}
    plan.removals = [v for v in vanished if v.id not in moved]
    return plan


def _settled_soon(
    unsettled: set[str], seen: dict[str, tuple[int, tuple[int, int]]], settle_ns: int
) -> tuple[set[str], set[str]]:
    """The files of `unsettled` that settle within SHORT_WAIT_NS, once waited for: those whose size and mtime did
    not change meanwhile (a copy that had just ended); and those deleted meanwhile. A file still changing stays for
    the next run. A file dated ahead of this clock (a camera's, a share's) is watched from now, not from its date."""
    now = time.time_ns()
    ready = {path: min(seen[path][1][1], now) + settle_ns for path in unsettled}
    soon = [path for path, at in ready.items() if at <= now + SHORT_WAIT_NS]
    if not soon:
        return set(), set()
    wait = max(0, max(ready[path] for path in soon) - now) / 1e9
    if wait > 0:
        log.info(
            "Waiting %.1f s for %s modified in the last %g s (index.settle_seconds).",
            wait,
            counted(len(soon), "file"),
            settle_ns / 1e9,
        )
    time.sleep(wait)
    settled, gone = set(), set()
    for path in soon:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            gone.add(path)
            continue
        except OSError:
            continue
        if (info.st_size, info.st_mtime_ns) == seen[path][1]:
            settled.add(path)
    return settled, gone


def _unchanged(video: VideoRow) -> bool:
    """An indexed file still on disk as it was indexed, in this run's folders or another root's."""
    try:
        st = os.stat(video.file)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (video.size, video.mtime_ns)


def _hash(path: Path, plan: Plan) -> str | None:
    try:
        return content_hash(path)
    except FileNotFoundError:
        return None  # deleted since the walk (or the wait): not a failure, and the next run finds it gone
    except OSError as e:
        plan.failed.append(failure(path, f"cannot read ({e.strerror or e})"))
        return None
