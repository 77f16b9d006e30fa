"""Finding a segment from what a salesperson types: an id, a name or alias in any script, or a rough fragment."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.models import SegmentInfo
from bot.text_keys import fold

# A fuzzy match at or above this score is taken as the user's meaning; below it we ask which one they meant.
ACCEPT_SCORE = 86.0
SUGGEST_SCORE = 45.0


def _names(segment: SegmentInfo) -> list[str]:
    return [fold(n) for n in (segment.name, *segment.aliases) if n.strip()]


def find(query: str, segments: Sequence[SegmentInfo]) -> SegmentInfo | None:
    """The one segment `query` clearly means, or None."""
    q = fold(query)
    if not q:
        return None
    for seg in segments:
        if q == seg.id.casefold() or q in _names(seg):
            return seg
    # A fragment of exactly one segment's name ("fitness", "寵物") is unambiguous.
    containing = [s for s in segments if any(q in n for n in _names(s))]
    if len(containing) == 1:
        return containing[0]
    ranked = rank(query, segments, limit=2)
    if ranked and ranked[0][1] >= ACCEPT_SCORE and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 3):
        return ranked[0][0]
    return None


def rank(query: str, segments: Sequence[SegmentInfo], limit: int = 5) -> list[tuple[SegmentInfo, float]]:
    """Segments by how well any of their names matches `query`, best first."""
    q = fold(query)
    if not q:
        return [(s, 0.0) for s in segments[:limit]]
    choices: dict[int, list[str]] = {i: _names(s) for i, s in enumerate(segments)}
    scored: list[tuple[SegmentInfo, float]] = []
    for i, names in choices.items():
        best = process.extractOne(q, names, scorer=fuzz.WRatio)
        score = best[1] if best else 0.0
        if any(n.startswith(q) for n in names):
            score = max(score, 95.0)  # typeahead: a prefix is what the user is typing towards
        scored.append((segments[i], float(score)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].id))
    return scored[:limit]


def suggestions(query: str, segments: Sequence[SegmentInfo], limit: int = 3) -> list[SegmentInfo]:
    return [s for s, score in rank(query, segments, limit=limit) if score >= SUGGEST_SCORE]
