"""Two to four segments side by side, with the card's own figures: size, age and gender, the apps each uses most
above average, the apps they share and how much their app lists overlap.

Each segment goes through `PersonaService.ground_segment` and `prepare`, so its age and gender are exactly what
its card shows (the measured audience where it rests on enough people, else pooled from its apps).

Overlap is the weighted Jaccard index over the apps' confidences:

    overlap(A, B) = Σ_app min(conf_A, conf_B) / Σ_app max(conf_A, conf_B)        (0 = no app in common, 1 = same)

An app a segment does not list counts as confidence 0 there.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Sequence
from itertools import combinations
from typing import Literal

from pydantic import BaseModel, Field

from bot.app_index import times_average
from bot.config import Lang
from bot.errors import PersonaError
from bot.i18n import bucket_label, t
from bot.languages import language
from bot.models import Demographics, GroundingApp, SegmentInfo
from bot.mrkdwn import single_line
from bot.offline_words import join
from bot.service import PersonaService

MIN_SEGMENTS, MAX_SEGMENTS = 2, 4
# Apps shown per segment as its most over-indexing, and apps listed as shared by all.
DISTINCTIVE_SHOWN = 3
SHARED_SHOWN = 5
OVERLAP_MEASURE = "weighted_jaccard_confidence"
# A bucket this many points above the others is worth a word; closer than that is noise in a summary.
MIN_GAP_POINTS = 3.0
# `/persona compare A B`: the word that starts a comparison, in each language people type it.
COMPARE_WORDS = ("compare", "比較", "比较")
# Names with spaces are separated by one of these ("Fitness enthusiasts in Taipei, Mobile gamers"); without one,
# each word (or "quoted name") is a segment.
_NAME_SEPARATORS = re.compile(r"\s*(?:[,，、;；|\n]|\s+vs\.?\s+)\s*", re.IGNORECASE)


# What the apps above average are ranked by: the index where the data has one, else the confidence.
Basis = Literal["index", "confidence"]


class CompareInputError(PersonaError):
    """Fewer than two or more than four segments, or the same segment twice. `key` is the UI string that says so;
    the message (for the command line) is the English one."""

    exit_code = 2

    def __init__(self, key: str):
        super().__init__(t(key, "en"))
        self.key = key


class DistinctiveApp(BaseModel):
    name: str
    app_id: str | None = None
    index: float | None = None
    confidence: float | None = None


class ComparedSegment(BaseModel):
    segment: SegmentInfo
    demographics: Demographics
    # Ranked by index where the data has one ("basis": "index"), else by confidence.
    distinctive: list[DistinctiveApp]
    basis: Basis
    # How many apps the segment lists.
    apps: int


class SharedApp(BaseModel):
    name: str
    app_id: str
    # The app's confidence in each compared segment, in the order of `segments`.
    confidence: list[float]


class PairOverlap(BaseModel):
    a: str
    b: str
    overlap: float
    shared: int


class Comparison(BaseModel):
    lang: Lang
    segments: list[ComparedSegment]
    shared_apps: list[SharedApp]
    overlaps: list[PairOverlap]
    overlap_measure: str = OVERLAP_MEASURE
    # One line per segment: what sets it apart from the others, computed from the figures above, or written by
    # the LLM and checked against them (bot/compare_writer.py).
    summary: list[str] = Field(default_factory=list)
    writer: Literal["llm", "offline"] = "offline"
    # Why a written summary fell back to the computed one.
    note: str | None = None


def compare_queries(text: str) -> list[str] | None:
    """The segment queries of `compare A B …`, or None when the text is no comparison."""
    head, _, rest = text.strip().partition(" ")
    if head.casefold() not in COMPARE_WORDS:
        # Chinese is typed without a space: "比較健身 遊戲" is still a comparison.
        word = next((w for w in COMPARE_WORDS[1:] if text.strip().startswith(w)), None)
        if word is None:
            return None
        rest = text.strip()[len(word):]
    rest = rest.strip()
    if _NAME_SEPARATORS.search(rest):
        return [part for part in _NAME_SEPARATORS.split(rest) if part.strip()]
    try:
        return shlex.split(rest.replace("“", '"').replace("”", '"'))
    except ValueError:  # an unclosed quote: read it as words
        return rest.split()


def weighted_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    """Σ min / Σ max of the two weight vectors over the union of their keys; 0 when both are empty."""
    keys = a.keys() | b.keys()
    high = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return round(sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys) / high, 3) if high > 0 else 0.0


def distinctive_apps(
    apps: Sequence[GroundingApp], limit: int = DISTINCTIVE_SHOWN
) -> tuple[list[DistinctiveApp], Basis]:
    """The apps a segment uses most above average (by index); by confidence where no app has an index."""
    indexed = [a for a in apps if a.index is not None and math.isfinite(a.index)]
    basis: Basis
    if indexed:
        ranked, basis = sorted(indexed, key=lambda a: (-(a.index or 0.0), a.name)), "index"
    else:
        ranked, basis = sorted(apps, key=lambda a: (-(a.score or 0.0), a.name)), "confidence"
    return [DistinctiveApp(name=a.name, app_id=a.app_id, index=a.index, confidence=a.score)
            for a in ranked[:limit]], basis


def _weights(apps: Sequence[GroundingApp]) -> dict[str, float]:
    return {a.app_id: float(a.score or 0.0) for a in apps if a.app_id}


def compare_segments(service: PersonaService, queries: Sequence[str], lang: Lang) -> Comparison:
    """The comparison of the segments named by `queries` (ids or fuzzy names; UnknownSegment names a bad one)."""
    if not MIN_SEGMENTS <= len(queries) <= MAX_SEGMENTS:
        raise CompareInputError("compare.need_segments")
    found = [service.find_segment(q) for q in queries]
    if len({s.id for s in found}) != len(found):
        raise CompareInputError("compare.duplicate")
    compared, weights, names = [], [], {}
    for segment in found:
        grounding = service.ground_segment(segment)
        prepared = service.prepare(grounding, lang)
        distinctive, basis = distinctive_apps(grounding.apps)
        compared.append(ComparedSegment(segment=segment, demographics=prepared.demographics,
                                        distinctive=distinctive, basis=basis, apps=len(grounding.apps)))
        weights.append(_weights(grounding.apps))
        names.update({a.app_id: a.name for a in grounding.apps if a.app_id})
    common = set.intersection(*(set(w) for w in weights))
    shared = sorted(
        (SharedApp(name=names[k], app_id=k, confidence=[w[k] for w in weights]) for k in common),
        key=lambda s: (-min(s.confidence), s.name),
    )
    overlaps = [
        PairOverlap(a=found[i].id, b=found[j].id, overlap=weighted_jaccard(weights[i], weights[j]),
                    shared=len(weights[i].keys() & weights[j].keys()))
        for i, j in combinations(range(len(found)), 2)
    ]
    comparison = Comparison(lang=lang, segments=compared, shared_apps=shared, overlaps=overlaps)
    comparison.summary = offline_summary(comparison)
    return comparison


# --- what sets each apart, from the data -----------------------------------------------------------------------


def _largest_gap(mine: dict[str, float], others: list[dict[str, float]]) -> tuple[str, float, float] | None:
    """The bucket where this segment is furthest above the others' mean: (bucket, its percent, gap in points)."""
    best = None
    for bucket, pct in mine.items():
        rest = [o.get(bucket, 0.0) for o in others]
        gap = pct - sum(rest) / len(rest) if rest else 0.0
        if best is None or gap > best[2]:
            best = (bucket, pct, gap)
    return best


def offline_summary(comparison: Comparison) -> list[str]:
    """One line per segment, e.g. "Gamers: 25-34 at 41% (+12 pts over the others), 62% male; apart: Steam
    (5.1× the average)". Only figures the table holds, so nothing needs checking."""
    lang = comparison.lang
    phrasing = language(lang).offline
    lines = []
    for i, me in enumerate(comparison.segments):
        others = [s for j, s in enumerate(comparison.segments) if j != i]
        parts = []
        for dim in ("age", "gender"):
            gap = _largest_gap(getattr(me.demographics, dim), [getattr(o.demographics, dim) for o in others])
            if gap is not None and gap[2] >= MIN_GAP_POINTS:
                parts.append(t("compare.apart_bucket", lang, bucket=bucket_label(gap[0], lang),
                               pct=f"{gap[1]:.0f}", gap=f"{gap[2]:.0f}"))
        theirs = {a.app_id for o in others for a in o.distinctive}
        own = [a for a in me.distinctive if a.app_id not in theirs]
        if own:
            parts.append(t("compare.apart_apps", lang, apps=join([_app_label(a, lang) for a in own], phrasing)))
        name = single_line(me.segment.localized_name(lang)) or me.segment.id
        facts = phrasing.list_sep.join(parts) or t("compare.apart_none", lang)
        lines.append(t("compare.apart_line", lang, name=name, facts=facts))
    return lines


def _app_label(app: DistinctiveApp, lang: str) -> str:
    name = single_line(app.name) or "?"
    if app.index is not None:
        return t("compare.times_average", lang, app=name, ratio=times_average(app.index))
    return name
