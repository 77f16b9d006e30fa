"""Finding a segment from what a salesperson types: an id, a name or alias in any of the three languages, a
fragment, a plural or a typo ("Mobile gamer", "fitnness", "kdrama", "新能源车主").

Everyday synonyms ("老年人" for seniors) are data, not code: they are the segment's `aliases` in the dataset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from bot.localized import all_names
from bot.models import SegmentInfo
from bot.text_keys import fold

# A score at or above this is taken as the user's meaning (when it also leads the runner-up clearly).
ACCEPT_SCORE = 86.0
# The least score the typeahead shows and "did you mean" offers: below it a segment is not a real match.
MATCH_SCORE = 72.0
SUGGEST_SCORE = MATCH_SCORE
# "Did you mean" after a miss may reach further than the typeahead.
_LOOSE_SCORE = 75.0
_CLEAR_LEAD = 3.0
# No segment's name or alias comes near this long: longer text is a paste gone wrong or a sentence, and is answered
# with "did you mean" rather than taken as the segment its words most resemble.
MAX_NAME_CHARS = 200
_PUNCT_RE = re.compile(r"[^\w\s]+")
# A typo'd word still counts when it is this close to a word of the name (rapidfuzz ratio, 0–100).
_WORD_MATCH = 80.0


def _stem(word: str) -> str:
    """English plurals fold onto the singular ("gamers" → "gamer"); "fitness" and short words stay."""
    if len(word) > 3 and word.isascii() and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _PUNCT_RE.sub(" ", fold(text)).split())


def _squashed(text: str) -> str:
    """Without spaces or punctuation, so "kdrama", "K-drama" and "k drama" agree."""
    return "".join(_words(text))


def _word_score(query: tuple[str, ...], name: tuple[str, ...]) -> float:
    """How well every query word finds a word of the name, as a prefix or within a typo; 0 when one does not."""
    scores = []
    for q in query:
        best = max((100.0 if len(q) >= 2 and n.startswith(q) else fuzz.ratio(q, n) for n in name), default=0.0)
        if best < _WORD_MATCH:
            return 0.0
        scores.append(best)
    # Names with many words the query does not mention rank below the closest fit.
    coverage = len(query) / max(len(name), len(query))
    return (sum(scores) / len(scores)) * (0.85 + 0.15 * coverage)


def _name_score(query: str, name: str) -> float:
    q, n = _squashed(query), _squashed(name)
    if not q or not n:
        return 0.0
    if q == n:
        return 100.0
    if n.startswith(q):
        return 90.0 + 9.0 * len(q) / len(n)  # typeahead: a prefix is what the user is typing towards
    if len(q) >= 2 and q in n:
        return 84.0 + 10.0 * len(q) / len(n)  # a fragment: "上班族" in "香港年轻上班族"
    words = _word_score(_words(query), _words(name))
    whole = fuzz.ratio(q, n) if len(q) >= 4 else 0.0
    return max(words, whole)


def _loose_score(query: str, name: str) -> float:
    """How close the better half of the query's words (3 letters or more; "on" says nothing) come to the name's
    words: a user who missed often adds words the name lacks. Chinese, written without spaces, is compared whole."""
    words = [w for w in _words(query) if len(w) >= 3 or not w.isascii()]
    names = _words(name)
    if not words or not names:
        return 0.0
    best = sorted((max(fuzz.ratio(w, n) for n in names) for w in words), reverse=True)
    half = best[: (len(best) + 1) // 2]
    return sum(half) / len(half)


def score(query: str, segment: SegmentInfo) -> float:
    """0–100: how well `query` names `segment`, by its id or any of its names in any language."""
    if fold(query) == segment.id.casefold():
        return 100.0
    return max((_name_score(query, name) for name in all_names(segment)), default=0.0)


def rank(query: str, segments: Sequence[SegmentInfo], limit: int = 5) -> list[tuple[SegmentInfo, float]]:
    """The segments that really match `query`, best first; an empty query lists them in order."""
    if not fold(query):
        return [(s, 0.0) for s in segments[:limit]]
    scored = [(s, score(query, s)) for s in segments]
    matches = [pair for pair in scored if pair[1] >= MATCH_SCORE]
    matches.sort(key=lambda pair: (-pair[1], pair[0].id))
    return matches[:limit]


def find(query: str, segments: Sequence[SegmentInfo]) -> SegmentInfo | None:
    """The one segment `query` clearly means, or None (always for text far longer than any segment's name)."""
    if len(query) > MAX_NAME_CHARS:
        return None
    ranked = rank(query, segments, limit=2)
    if not ranked or ranked[0][1] < ACCEPT_SCORE:
        return None
    if len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= _CLEAR_LEAD or ranked[0][1] == 100.0 > ranked[1][1]:
        return ranked[0][0]
    return None


def suggestions(query: str, segments: Sequence[SegmentInfo], limit: int = 3) -> list[SegmentInfo]:
    """"Did you mean": the closest few real matches, else the names most alike as a whole ("gym goerz and
    runners" still offers "Gym goers"), since here the user has already missed."""
    found = [s for s, _ in rank(query, segments, limit=limit)]
    if found or not fold(query):
        return found
    loose = [(s, max((_loose_score(query, n) for n in all_names(s)), default=0.0)) for s in segments]
    loose = [pair for pair in loose if pair[1] >= _LOOSE_SCORE]
    loose.sort(key=lambda pair: (-pair[1], pair[0].id))
    return [s for s, _ in loose[:limit]]
