"""Percentiles and number formatting for the report."""

from __future__ import annotations

import math
from collections.abc import Sequence


def pct(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation between closest ranks; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def ratio(naive: float | None, real: float | None) -> str:
    if naive is None or real is None or real <= 0:
        return "–"
    return f"{naive / real:,.1f}×"


def mb(value: int | None) -> str:
    """Decimal megabytes, the unit of the memory target."""
    return "–" if value is None else f"{value / 1_000_000:.0f} MB"
