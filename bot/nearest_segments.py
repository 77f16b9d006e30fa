"""Which warehouse segments a pasted app list is closest to, by weighted app overlap.

A paste and a segment are both weight vectors over catalog apps: the paste's pooling weights (its scores, or its
rank order) and the segment's confidences. Their closeness is the cosine of the two vectors, so an app counts in
proportion to how much it matters to both sides, and a segment is not favoured for listing many apps. The card
also says how many of the paste's catalog apps the segment lists ("7 of 10 apps shared"), which is what a reader
checks.

The segments' apps are read once (`SegmentIndex.from_warehouse`) and kept for the life of the process by the
service, like the catalog: they change only when a dataset is loaded, which restarts the bot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.models import ClosestSegment, GroundingApp, NamedSegment, SegmentSummary

if TYPE_CHECKING:
    from bot.warehouse import Warehouse

# Segments named on the card and in the result.
CLOSEST_SHOWN = 3
# A pasted card is titled after its closest segment only when the two really overlap: the segment lists at least
# this share of the paste's catalog apps, and at least two of them (one shared app says little about a segment).
TITLE_MIN_SHARED_SHARE = 0.5
TITLE_MIN_SHARED = 2


@dataclass(frozen=True)
class _Segment:
    # Its id and names in every language, as the closest-segment entries carry them.
    named: NamedSegment
    confidences: Mapping[str, float]
    norm: float


class SegmentIndex:
    """Every segment's app confidences, ready to compare pastes with."""

    def __init__(self, segments: Sequence[SegmentSummary], confidences: Mapping[str, Mapping[str, float]]):
        self._segments: list[_Segment] = []
        for segment in segments:
            apps = {app_id: c for app_id, c in confidences.get(segment.id, {}).items() if _usable(c)}
            norm = math.sqrt(sum(c * c for c in apps.values()))
            if norm > 0:
                named = NamedSegment.model_validate(segment.model_dump(include=set(NamedSegment.model_fields)))
                self._segments.append(_Segment(named, apps, norm))

    @classmethod
    def from_warehouse(cls, warehouse: Warehouse, segments: Sequence[SegmentSummary]) -> SegmentIndex:
        return cls(segments, warehouse.segment_confidences())

    def closest(self, apps: Sequence[GroundingApp], limit: int = CLOSEST_SHOWN) -> list[ClosestSegment]:
        """The segments sharing at least one catalog app with `apps`, closest first (ties: more shared, then id)."""
        paste: dict[str, float] = {}
        for app in apps:
            if app.app_id and _usable(app.weight):
                paste[app.app_id] = max(paste.get(app.app_id, 0.0), app.weight)
        norm = math.sqrt(sum(w * w for w in paste.values()))
        if norm <= 0:
            return []
        found: list[ClosestSegment] = []
        for segment in self._segments:
            shared = [app_id for app_id in paste if app_id in segment.confidences]
            if not shared:
                continue
            dot = sum(paste[app_id] * segment.confidences[app_id] for app_id in shared)
            found.append(
                ClosestSegment(
                    **segment.named.model_dump(),
                    shared=len(shared),
                    of=len(paste),
                    similarity=round(min(dot / (norm * segment.norm), 1.0), 4),
                )
            )
        found.sort(key=lambda c: (-c.similarity, -c.shared, c.id))
        return found[: max(limit, 0)]


def title_segment(closest: Sequence[ClosestSegment]) -> ClosestSegment | None:
    """The segment a pasted card may be titled after, or None when none overlaps enough to say so."""
    if not closest:
        return None
    best = closest[0]
    return best if best.shared >= TITLE_MIN_SHARED and best.shared >= TITLE_MIN_SHARED_SHARE * best.of else None


def _usable(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0
