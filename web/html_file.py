"""The page `vidx query --html` writes: one self-contained HTML file, thumbnails inline, links to the files."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING

from vidx import disk_full
from vidx.errors import NotWritable
from vidx.paths import absolute

from .cards import Results
from .page import file_page

if TYPE_CHECKING:
    from vidx.library import Library
    from vidx.searcher import Hit
    from vidx.searcher.typical import TypicalScore


def html_page(lib: Library, title: str, hits: list[Hit], typical: TypicalScore | None = None) -> str:
    """The page of `hits` from `lib`: thumbnails inline, links that open each video at its moment.

    With `typical` (`lib.typical_score(text)`), each result shows its relevance, and the page says when no
    result stands out from the library's typical score.
    """

    def thumb(hit: Hit) -> str | None:
        data = lib.thumbnail(hit.clip_id)
        return "data:image/jpeg;base64," + base64.b64encode(data).decode() if data else None

    def link(hit: Hit) -> str:
        return f"{Path(hit.path).as_uri()}#t={hit.start:g},{hit.end:g}"

    best = hits[0].score if hits else None
    by_words = bool(hits) and hits[0].said is not None
    return file_page(Results(title, hits, best, typical, best_said=by_words), thumb, link)


def write_html_page(
    lib: Library, title: str, hits: list[Hit], path: str | os.PathLike, typical: TypicalScore | None = None
) -> Path:
    """Write `html_page(lib, title, hits, typical)` to `path`; returns the file, absolute."""
    target = absolute(path)
    page = html_page(lib, title, hits, typical)
    # Written beside and renamed, so that a full disk leaves the page as it was, not cut short.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with disk_full.writing(target, len(page.encode())):
            tmp.write_text(page, encoding="utf-8")
            os.replace(tmp, target)
    except OSError as e:
        raise NotWritable(f"Cannot write the page {target}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
