"""How much more (or less) a segment uses an app than the average person in its market: the index.

    index = penetration / reach × 100        (100 = as often as average; 420 = 4.2× the average)

`penetration` is the share of the segment using the app, `reach` the share of the segment's market using it. The
apps with the highest index are what makes a segment distinct, so the card points out a few of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.models import GroundingApp

# Apps pointed out on the card as used far more than average: at most this many, each at least this index.
STANDOUTS = 3
STANDOUT_MIN_INDEX = 200.0


def app_index(penetration: float | None, reach: float | None) -> float | None:
    """penetration / reach × 100, one decimal; None where either is unknown or the reach is zero."""
    if penetration is None or reach is None:
        return None
    if not (math.isfinite(penetration) and math.isfinite(reach)) or reach <= 0 or penetration < 0:
        return None
    return round(penetration / reach * 100, 1)


def standouts(
    apps: Sequence[GroundingApp], limit: int = STANDOUTS, min_index: float = STANDOUT_MIN_INDEX
) -> list[GroundingApp]:
    """The apps the audience uses far more than average, highest index first (ties by name)."""
    ranked = [a for a in apps if a.index is not None and a.index >= min_index]
    ranked.sort(key=lambda a: (-(a.index or 0.0), a.name))
    return ranked[:limit]


def times_average(index: float) -> str:
    """An index as a multiple of the average, for people: 420.0 -> "4.2"."""
    return f"{index / 100:.1f}"
