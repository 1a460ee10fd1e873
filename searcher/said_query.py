"""A user's words -> an SQLite FTS5 query over what was said, or None when they give nothing to search.

The user types words, not FTS5 syntax: each word is quoted, so `AND`, `-`, `*`, `:` and quotes are just
text. Stop words are left out of the search terms, since they match nearly every line; the whole query, stop
words included, is also searched as a phrase, so a line saying exactly it ranks first ("feed the cat" above
"the cat ate the feed"). FTS5 ranks by bm25 and stems each word (porter), so "feeding" finds "feed".
"""

from __future__ import annotations

import re

# Lucene's English stop words (EnglishAnalyzer), with the pronouns and auxiliaries of speech added: words
# that say nothing about which line is meant.
STOP_WORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with i me my we our you your he him his she her its them what which who whom do does
    did have has had been being am were so from up out about just than too very can could would should""".split()
)
_WORD = re.compile(r"\w+")


def terms(text: str) -> list[str]:
    """The query's words that are not stop words, lower-cased, each once, in order."""
    words = [w.lower() for w in _WORD.findall(text)]
    return list(dict.fromkeys(w for w in words if w not in STOP_WORDS))


def fts_query(text: str) -> str | None:
    """The FTS5 MATCH expression for `text`: the phrase OR each term; None when no term is left."""
    chosen = terms(text)
    if not chosen:
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    parts = [_quoted(" ".join(words))] if len(words) > 1 else []
    return " OR ".join(parts + [_quoted(t) for t in chosen])


def _quoted(text: str) -> str:
    return f'"{text}"'  # made of \w+ words only, so no quote inside needs doubling
