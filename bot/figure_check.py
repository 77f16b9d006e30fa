"""Figures in written prose that the data does not back.

A writer may repeat the figures it was given (demographic percentages, app scores, the segment's size), rounded
as people round them, but never invent one or copy one from elsewhere (the few-shot example's 57.3% women). Only
numbers that read as figures are checked: percentages, decimals and counts of a thousand or more. Small integers
("three times a week", "5G", "aged 25 to 34") carry no claim about the data and are left alone. Numbers inside
names the text may quote (app and segment names such as "58同城") are removed before looking.

Shared by every writer check that puts prose next to data: build a `Figures` from what the text may cite, then
ask `unsupported_figures(text, figures, quoted)`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.models import Demographics, Grounding

# A number, optionally with thousands separators or a decimal part, then an optional percent sign (after NFKC
# the full-width ％ is %). The lookbehind keeps digits that are part of a Latin word ("v2") out; Chinese text
# writes figures right after ideographs ("女性佔57%"), so only ASCII letters and digits count as "part of a word".
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<unit>\s*%|\s*percent\b|\s*per\s+cent\b)|\s*(?P<scale>million\b|thousand\b|万|萬|亿|億))?",
    re.IGNORECASE,
)
# "1.2 million", "18.5万": counts written with a word for their size.
_SCALES = {"million": 1e6, "thousand": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
# Chinese "百分之四十" style figures are not parsed; Arabic digits are what models and the data use.
_MIN_COUNT = 1000


@dataclass(frozen=True)
class Figure:
    """One number found in a text: its value, how it was written and what rounding it implies."""

    text: str
    value: float
    percent: bool
    # Half a unit of the last written digit: "57%" stands for anything from 56.5 to 57.5.
    tolerance: float


@dataclass(frozen=True)
class Figures:
    """The figures a text may cite: percentages (0–100), plain decimals and counts."""

    percents: frozenset[float] = field(default_factory=frozenset)
    decimals: frozenset[float] = field(default_factory=frozenset)
    counts: frozenset[int] = field(default_factory=frozenset)

    def merge(self, other: Figures) -> Figures:
        return Figures(self.percents | other.percents, self.decimals | other.decimals, self.counts | other.counts)


def _contiguous_sums(values: list[float]) -> set[float]:
    # "65% are 25–44" adds two neighbouring age buckets; any run of neighbours is a fair summary.
    sums = set()
    for start in range(len(values)):
        total = 0.0
        for value in values[start:]:
            total += value
            sums.add(round(total, 4))
    return sums


def distribution_figures(distributions: Iterable[Mapping[str, float]]) -> set[float]:
    """Percentages a text may derive from bucket -> percent maps: each share and each run of neighbours."""
    found: set[float] = set()
    for distribution in distributions:
        found |= _contiguous_sums([float(v) for v in distribution.values()])
    return found


def grounding_figures(grounding: Grounding, demographics: Demographics, *extra: Mapping[str, float]) -> Figures:
    """What a persona about `grounding` may cite: its demographics (and `extra` bucket maps, e.g. an estimate),
    the app scores as decimals or percentages, each app's penetration (a percentage) and index (as "4.2×" the
    average, or the index itself as a decimal), the data coverage, the segment's size and the number of people
    measured."""
    percents = distribution_figures([demographics.age, demographics.gender, *extra])
    decimals: set[float] = set()
    for app in grounding.apps:
        if app.score is not None:
            # Scores arrive as 0–1 confidences; a pasted "92" has been normalised the same way.
            decimals.add(round(app.score, 4))
            percents.add(round(app.score * 100, 4))
        if app.penetration is not None:
            percents.add(round(app.penetration * 100, 4))
        if app.index is not None:
            decimals.update({round(app.index / 100, 4), round(app.index, 4)})
    percents.add(round(demographics.coverage * 100, 4))
    decimals.add(round(demographics.coverage, 4))
    counts = set()
    if grounding.segment is not None and grounding.segment.size:
        counts.add(grounding.segment.size)
    if demographics.n:
        counts.add(demographics.n)
    return Figures(frozenset(percents), frozenset(decimals), frozenset(counts))


def _tolerance(number: str) -> float:
    digits = number.replace(",", "")
    if "." in digits:
        return 0.5 * 10 ** -len(digits.split(".", 1)[1])
    # "12,000" or "12000" is a round count: trailing zeros are rounding, not precision.
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped) if stripped else 0
    return 0.5 * 10**zeros


def _without(text: str, quoted: Iterable[str]) -> str:
    for value in sorted({unicodedata.normalize("NFKC", q) for q in quoted if q and q.strip()}, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def figures_in(text: str, quoted: Iterable[str] = ()) -> list[Figure]:
    """The numbers in `text` that read as figures, ignoring those inside the `quoted` names."""
    normalized = _without(unicodedata.normalize("NFKC", text), quoted)
    found = []
    for match in _NUMBER.finditer(normalized):
        number, unit, scale = match.group("num"), match.group("unit"), match.group("scale")
        value = float(number.replace(",", ""))
        if scale is not None:
            factor = _SCALES[scale.lower()]
            found.append(Figure(match.group(0).strip(), value * factor, False, _tolerance(number) * factor))
            continue
        is_percent = unit is not None
        if not is_percent and "." not in number and (value < _MIN_COUNT or _is_year(number)):
            continue
        found.append(Figure(match.group(0).strip(), value, is_percent, _tolerance(number)))
    return found


def _is_year(number: str) -> bool:
    # "since 2020" is a date, not a count of people.
    return len(number) == 4 and 1900 <= int(number) <= 2100


def _near(value: float, candidates: Iterable[float], tolerance: float) -> bool:
    # A hair of slack for binary floating point on top of the rounding the text implies.
    return any(abs(value - candidate) <= tolerance + 1e-9 for candidate in candidates)


def is_supported(figure: Figure, figures: Figures) -> bool:
    if figure.percent:
        return _near(figure.value, figures.percents, figure.tolerance)
    if figure.value < _MIN_COUNT:
        # A bare decimal: a score (0.92) or a percentage written without its sign (57.3).
        return _near(figure.value, figures.decimals, figure.tolerance) or _near(
            figure.value, figures.percents, figure.tolerance
        )
    return _near(figure.value, (float(c) for c in figures.counts), figure.tolerance)


def unsupported_figures(text: str, figures: Figures, quoted: Iterable[str] = ()) -> list[str]:
    """The figures written in `text` (as written) that none of `figures` backs, within the rounding shown."""
    return [figure.text for figure in figures_in(text, quoted) if not is_supported(figure, figures)]


# A figure in brackets of its own ("(57.3%)", "（57.3%）") goes with its brackets; otherwise the figure alone.
_SPACES_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?，。；：！？、)）])")


def _removal_pattern(figure_text: str) -> re.Pattern[str]:
    token = re.escape(figure_text).replace(r"\ ", r"\s*")
    bare = rf"(?<![A-Za-z0-9_.]){token}(?![A-Za-z0-9_])"
    return re.compile(rf"\s*[(（]\s*{bare}\s*[)）]|{bare}")


def without_unsupported_figures(text: str, figures: Figures, quoted: Iterable[str] = ()) -> tuple[str, int]:
    """`text` with every figure the data does not back taken out, and how many were taken out.

    The last resort after a repair: the rest of the sentence stays, so the card keeps the model's words without a
    number nobody can stand behind."""
    unsupported = unsupported_figures(text, figures, quoted)
    removed = 0
    for figure_text in dict.fromkeys(unsupported):
        text, count = _removal_pattern(figure_text).subn("", text)
        removed += count
    if removed:
        text = _SPACES_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return text, removed
