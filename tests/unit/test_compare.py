"""Comparing segments: the figures are the cards' own, the overlap measure is what it says, bad input is named."""

from __future__ import annotations

import re

import pytest

from bot.compare import (
    CompareInputError,
    compare_segments,
    distinctive_apps,
    weighted_jaccard,
)
from bot.compare_render import comparison_rows, render_comparison_text
from bot.config import LANGS, Settings
from bot.errors import UnknownSegment
from bot.localized import count
from bot.models import GroundingApp
from bot.service import PersonaService
from bot.slack.blocks.compare import comparison_message, table_block
from tests.support.block_limits import violations


@pytest.fixture
def service(settings: Settings) -> PersonaService:
    return PersonaService.from_settings(settings)


def test_weighted_jaccard_is_min_over_max() -> None:
    assert weighted_jaccard({"a": 0.9, "b": 0.5}, {"a": 0.9, "b": 0.5}) == 1.0
    assert weighted_jaccard({"a": 0.9}, {"b": 0.9}) == 0.0
    # min: 0.6 (a) + 0 (b) + 0 (c); max: 0.9 + 0.5 + 0.4
    assert weighted_jaccard({"a": 0.9, "b": 0.5}, {"a": 0.6, "c": 0.4}) == round(0.6 / 1.8, 3)
    assert weighted_jaccard({}, {}) == 0.0


def test_distinctive_apps_rank_by_index_and_fall_back_to_confidence() -> None:
    apps = [GroundingApp(name="A", app_id="a", score=0.9, index=120.0),
            GroundingApp(name="B", app_id="b", score=0.5, index=480.0),
            GroundingApp(name="C", app_id="c", score=0.7)]
    ranked, basis = distinctive_apps(apps)
    assert basis == "index" and [a.name for a in ranked] == ["B", "A"]
    for app in apps:
        app.index = None
    ranked, basis = distinctive_apps(apps)
    assert basis == "confidence" and [a.name for a in ranked] == ["A", "C", "B"]


def test_the_figures_are_the_cards_own(service: PersonaService) -> None:
    comparison = compare_segments(service, ["fitness", "gamers", "seg_003"], "en")
    assert [s.segment.id for s in comparison.segments][2] == "seg_003"
    for compared in comparison.segments:
        card = service.prepare(service.ground_segment(compared.segment), "en")
        assert compared.demographics == card.demographics
        assert compared.segment.size == card.grounding.segment.size
        top = max(card.grounding.apps, key=lambda a: a.index or 0.0)
        assert compared.basis == "index" and compared.distinctive[0].app_id == top.app_id
    assert len(comparison.overlaps) == 3
    ids = {s.segment.id for s in comparison.segments}
    assert all({p.a, p.b} <= ids and 0.0 <= p.overlap <= 1.0 for p in comparison.overlaps)


@pytest.mark.parametrize("lang", LANGS)
def test_sizes_are_written_as_the_readers_language_writes_them(service: PersonaService, lang: str) -> None:
    comparison = compare_segments(service, ["fitness", "seg_014"], lang)
    size_row = comparison_rows(comparison)[1]
    assert size_row[1:] == [count(s.segment.size or 0, lang) for s in comparison.segments]
    assert lang == "en" or not any("," in cell for cell in size_row[1:])


def test_shared_apps_are_listed_by_every_segment(service: PersonaService) -> None:
    comparison = compare_segments(service, ["seg_004", "seg_005"], "en")
    apps = [{a.app_id for a in service.ground_segment(s.segment).apps} for s in comparison.segments]
    assert {a.app_id for a in comparison.shared_apps} == apps[0] & apps[1]
    assert comparison.shared_apps, "the two gamer segments share apps in the sample"
    assert comparison.overlaps[0].shared == len(comparison.shared_apps) and comparison.overlaps[0].overlap > 0


def test_unknown_segment_gets_did_you_mean(service: PersonaService) -> None:
    with pytest.raises(UnknownSegment) as err:
        compare_segments(service, ["gamerz club", "fitness"], "en")
    assert err.value.query == "gamerz club" and err.value.suggestions[0][0] == "seg_004"


@pytest.mark.parametrize("queries", [["fitness"], ["a", "b", "c", "d", "e"], ["seg_001", "fitness"]])
def test_too_few_too_many_or_the_same_twice_is_refused(service: PersonaService, queries: list[str]) -> None:
    with pytest.raises(CompareInputError) as err:
        compare_segments(service, queries, "en")
    assert err.value.exit_code == 2


@pytest.mark.parametrize("lang", LANGS)
def test_summary_states_only_figures_the_table_holds(service: PersonaService, lang: str) -> None:
    comparison = compare_segments(service, ["fitness", "gamers"], lang)
    assert len(comparison.summary) == 2
    table = " ".join(cell for row in comparison_rows(comparison) for cell in row)
    table_numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", table.replace(",", ""))]
    for line in comparison.summary:
        for pct in re.findall(r"(\d+(?:\.\d+)?)%", line):
            assert any(abs(float(pct) - n) <= 0.5 for n in table_numbers), (pct, line)
    assert comparison.segments[0].segment.localized_name(lang) in render_comparison_text(comparison)


@pytest.mark.parametrize("lang", LANGS)
def test_four_segments_fit_slacks_table_and_message_limits(service: PersonaService, lang: str) -> None:
    payload = comparison_message(compare_segments(service, ["seg_001", "seg_002", "seg_003", "seg_004"], lang))
    assert violations(payload) == []
    table = next(b for b in payload["blocks"] if b["type"] == "table")
    assert all(len(row) == 5 for row in table["rows"])


def test_the_limit_checker_catches_a_table_out_of_bounds() -> None:
    too_long = table_block([["x"]] * 101, "t")  # the builder cuts at Slack's limit
    assert len(too_long["rows"]) == 100
    broken = {"type": "table", "rows": [[{"type": "raw_text", "text": "x"}] * 21, [{"type": "raw_text", "text": ""}]]}
    problems = violations({"text": "t", "blocks": [broken, broken]})
    assert any("21 cells" in p for p in problems)
    assert any("non-empty text" in p for p in problems)
    assert any("2 table blocks" in p for p in problems)
