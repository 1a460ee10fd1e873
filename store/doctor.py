"""`vidx doctor`: check that SQLite, the vector index and the files on disk agree, and repair without the model."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from vidx.config import Home
from vidx.counting import counted
from vidx.errors import CatalogDamaged

from . import home_files, index_check, recovery
from .catalog import Catalog
from .catalog_writer import CatalogWriter


@dataclass
class Checkup:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)  # the problems still there when the check ends

    @property
    def healthy(self) -> bool:
        """Whether the check found nothing wrong (before any repair)."""
        return not self.problems


def check_home(
    home: Home, catalog: Callable[[], Catalog], close: Callable[[], None], repair: bool, writer_busy: bool = False
) -> Checkup:
    """The catalogue first, since nothing else can be checked in a damaged one; `--repair` recovers what it still
    holds into a new one (recovery.py), then checks and repairs that. `catalog()` opens the catalogue, `close()`
    closes every connection to it; `writer_busy`: a `vidx index` is at work, whose files being written are not
    leftovers."""
    try:
        found = catalog().damage(thorough=True)
    except CatalogDamaged as e:
        found = e.found
    if found is None:
        return check(catalog(), repair, writer_busy=writer_busy)
    damaged = f"the catalogue {home.db} is damaged: SQLite finds {found}"
    if not repair:
        return Checkup([damaged], unrepaired=[damaged])
    close()
    recovered = recovery.recover(home.db)
    result = check(catalog(), repair, recovered)
    result.problems.insert(0, damaged)
    return result


def check(
    catalog: Catalog, repair: bool = False, recovered: recovery.Recovered | None = None, writer_busy: bool = False
) -> Checkup:
    """Every problem is found before anything is repaired, so that `--repair` reports what `vidx doctor` does.
    After a recovery, the videos that lost clips go too, and the index is built anew."""
    result = Checkup()
    left = [] if writer_busy else home_files.leftovers(catalog.home, catalog.index_state())
    if left:
        result.problems.append(home_files.described(left))
    room = home_files.short_of_room(catalog.home)
    if room:
        result.problems.append(room)
    if repair and left:
        result.repaired.append(home_files.remove(left))  # first: what they free may be the room a repair needs
    orphans = catalog.orphan_clips()
    if orphans:
        result.problems.append(f"{counted(len(orphans), 'clip')} {_verb(len(orphans), 'belong')} to no video")

    missing = [v for root in catalog.roots() for v in catalog.videos_under(root) if not os.path.exists(v.file)]
    if missing:
        gone = f"{counted(len(missing), 'indexed file')} no longer {_verb(len(missing), 'exist')}"
        result.problems.append(f"{gone}, e.g. {missing[0].path}")
    found = index_check.problems(catalog.db, catalog.home.index_dir, catalog.ann_threshold)
    result.problems += found.problems
    lasting = [] if found.rebuild else list(found.problems)  # what no repair without the model fixes
    lasting += [room] if room else []
    lost = recovered.incomplete if recovered else []
    damaged = _videos_of(catalog, found.damaged, skip={v.id for v in missing} | set(lost))
    if found.damaged:
        e_g = f", e.g. {next(iter(damaged.values()))}" if damaged else ""
        result.problems.append(
            f"{counted(len(found.damaged), 'clip')} of {counted(len(damaged), 'video')} have damaged vector rows in "
            f"{catalog.home.index_dir}{e_g}"
        )
    if repair and (orphans or missing or damaged or found.rebuild or recovered):
        with CatalogWriter(catalog) as writer:
            if recovered:
                result.repaired.append(
                    f"copied the {counted(recovered.rows, 'row')} SQLite could read into a new catalogue; the damaged "
                    f"one is kept as {recovered.kept_as}"
                )
                _drop(writer, lost, result, "that lost clips with the damaged catalogue")
            if orphans:
                writer.delete_orphan_clips(orphans)
                result.repaired.append(f"deleted {counted(len(orphans), 'orphan clip')}")
            for video in missing:
                writer.delete_video(video.id)
            if missing:
                result.repaired.append(f"removed {counted(len(missing), 'vanished file')} from the index")
            _drop(writer, list(damaged), result, "whose vectors were damaged")
            if found.rebuild or recovered:
                held = writer.rebuild()
                result.repaired.append(f"rebuilt the {writer.index.state.kind} index of {counted(held, 'clip')}")
    result.unrepaired = lasting if repair else list(result.problems)
    return result


def _drop(writer: CatalogWriter, video_ids: list[int], result: Checkup, which: str) -> None:
    """Forget videos whose clips cannot be trusted: the next `vidx index` finds their files new and embeds them."""
    for video_id in video_ids:
        writer.delete_video(video_id)
    if video_ids:
        result.repaired.append(f"removed {counted(len(video_ids), 'video')} {which}; vidx index embeds them again")


def _videos_of(catalog: Catalog, clip_ids: list[int], skip: set[int]) -> dict[int, str]:
    """The videos (id: path) that own `clip_ids`, but those in `skip`."""
    return {r.video_id: r.path for r in catalog.clip_rows(clip_ids).values() if r.video_id not in skip}


def _verb(n: int, plural: str) -> str:
    """`exists` for one, `exist` for several."""
    return plural + "s" if n == 1 else plural
