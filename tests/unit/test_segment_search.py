"""Segment search as salespeople type: typos, plurals, fragments, Chinese and everyday synonyms, over the sample."""

from __future__ import annotations

from functools import cache

import pytest

from bot import segment_search
from bot.dataset import read_dataset, sample_dataset_dir
from bot.models import SegmentInfo
from bot.slack.blocks.views import segment_options


@cache
def _segments() -> tuple[SegmentInfo, ...]:
    return tuple(read_dataset(sample_dataset_dir()).segments)


def _named(query: str) -> str | None:
    found = segment_search.find(query, _segments())
    return found.name if found else None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Mobile gamer", "Mobile gamers"),  # singular of a plural name
        ("fitnness", "Fitness enthusiasts in Taipei"),  # typo
        ("fitnness enthusiasts", "Fitness enthusiasts in Taipei"),
        ("kdrama", "K-drama & streaming bingers"),  # punctuation left out
        ("老年人", "Health-conscious seniors"),  # everyday synonyms, kept as the segment's aliases
        ("年長者", "Health-conscious seniors"),
        ("新能源车主", "EV owners in mainland China"),
        ("seniors", "Health-conscious seniors"),
        ("台北健身爱好者", "Fitness enthusiasts in Taipei"),  # the localized name in the other script
        ("seg_004", "Mobile gamers"),
    ],
)
def test_salespeople_queries_find_their_segment(query: str, expected: str) -> None:
    assert _named(query) == expected


def test_a_query_naming_two_segments_asks_which_with_both_first() -> None:
    assert _named("上班族") is None
    offered = [s.name for s in segment_search.suggestions("上班族", _segments())]
    assert set(offered[:2]) == {"Young professionals in Shanghai", "Young professionals in Hong Kong"}


def test_typeahead_returns_only_real_matches_best_first() -> None:
    ranked = segment_search.rank("gamer", _segments(), limit=20)
    names = [s.name for s, _ in ranked]
    assert 0 < len(names) < 6
    assert all("gamer" in n.casefold() for n in names)
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)
    assert segment_search.rank("xyzzy plumbing", _segments(), limit=20) == []
    assert len(segment_search.rank("", _segments(), limit=20)) == 20  # an empty box lists segments to pick from


def test_did_you_mean_offers_the_closest_few_after_a_miss() -> None:
    offered = segment_search.suggestions("gamerz on phones", _segments())
    assert 0 < len(offered) <= 3
    assert "gamers" in offered[0].name.casefold()
    assert segment_search.suggestions("taipie fitnes runers", _segments())[0].name == "Fitness enthusiasts in Taipei"
    assert segment_search.suggestions("qqqq zzzz", _segments()) == []


@pytest.mark.parametrize(("lang", "expected"), [("en", "Mobile gamers"), ("zh-TW", "手遊玩家"), ("zh-CN", "手游玩家")])
def test_picker_shows_localized_names_and_matches_in_every_language(lang: str, expected: str) -> None:
    for query in ("mobile gam", "手遊", "手游"):
        options = segment_options([s for s, _ in segment_search.rank(query, _segments(), limit=20)], lang)
        assert options[0]["text"]["text"] == expected
        assert options[0]["value"] == "seg_004"
