"""Nearest segments for a paste: weighted app overlap, shared counts, and when a card may be titled after one."""

from __future__ import annotations

import pytest

from bot.models import ClosestSegment, GroundingApp, SegmentSummary
from bot.nearest_segments import SegmentIndex, title_segment

SEGMENTS = [
    SegmentSummary(id="run", name="Runners"),
    SegmentSummary(id="gym", name="Gym goers"),
    SegmentSummary(id="food", name="Foodies"),
    SegmentSummary(id="empty", name="No apps"),
]
CONFIDENCES = {
    "run": {"strava": 0.9, "nrc": 0.8, "garmin": 0.7, "keep": 0.3},
    "gym": {"keep": 0.9, "world_gym": 0.8, "strava": 0.2},
    "food": {"meituan": 0.9, "eleme": 0.8},
}


def paste(*weighted: tuple[str | None, float]) -> list[GroundingApp]:
    return [GroundingApp(name=app_id or "Unknown", app_id=app_id, weight=w) for app_id, w in weighted]


@pytest.fixture
def index() -> SegmentIndex:
    return SegmentIndex(SEGMENTS, CONFIDENCES)


def test_closest_is_the_segment_whose_important_apps_the_paste_weighs_most(index: SegmentIndex) -> None:
    runner = index.closest(paste(("strava", 1.0), ("nrc", 0.8), ("keep", 0.4), (None, 0.5)))
    assert [c.id for c in runner] == ["run", "gym"]  # Foodies share nothing and are not listed
    assert (runner[0].shared, runner[0].of) == (3, 3)  # unmatched apps are not counted in "of"
    assert (runner[1].shared, runner[1].of) == (2, 3)
    assert 0 < runner[1].similarity < runner[0].similarity <= 1
    # The same apps weighted the other way round make the gym segment closer.
    gym = index.closest(paste(("keep", 1.0), ("strava", 0.2)))
    assert gym[0].id == "gym"


def test_cosine_of_identical_weights_is_one(index: SegmentIndex) -> None:
    same = index.closest(paste(("meituan", 0.9), ("eleme", 0.8)))
    assert same[0].id == "food" and same[0].similarity == pytest.approx(1.0)


def test_nothing_known_gives_no_segments(index: SegmentIndex) -> None:
    assert index.closest(paste((None, 1.0))) == []
    assert index.closest(paste(("not_in_any_segment", 1.0))) == []
    assert index.closest([]) == []
    assert SegmentIndex([], {}).closest(paste(("strava", 1.0))) == []


def test_limit(index: SegmentIndex) -> None:
    apps = paste(("strava", 1.0), ("keep", 1.0), ("meituan", 1.0))
    assert len(index.closest(apps)) == 3
    assert [c.id for c in index.closest(apps, limit=1)] == [index.closest(apps)[0].id]


@pytest.mark.parametrize(
    ("shared", "of", "titled"),
    [(7, 10, True), (2, 3, True), (2, 4, True), (2, 5, False), (1, 1, False), (1, 2, False)],
)
def test_title_needs_two_shared_apps_and_half_the_paste(shared: int, of: int, titled: bool) -> None:
    closest = [ClosestSegment(id="run", name="Runners", shared=shared, of=of, similarity=0.8)]
    assert (title_segment(closest) is not None) is titled
    assert title_segment([]) is None
