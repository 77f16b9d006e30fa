"""Measured beats modelled, the index, and what the sample's segments show: figures that match their definitions.

The sample is one synthetic population, so a segment's measured audience must follow from its rule; each
demographic rule is stated here as the salesperson would read it off the card.
"""

from __future__ import annotations

import logging
import statistics
from pathlib import Path

import pytest

from bot.app_index import app_index, standouts, times_average
from bot.config import LANGS, Settings
from bot.dataset import read_dataset
from bot.demographics import DISAGREEMENT_POINTS, disagreement, distance_points, with_measured
from bot.models import Demographics, GroundingApp, MeasuredAudience
from bot.service import PersonaService
from bot.slack.blocks.card import persona_card
from bot.store import PersonaRequest
from bot.text_render import render_text
from bot.warehouse.duckdb import write_duckdb_file
from tests.support.block_limits import violations
from tests.support.dataset_factory import write_dataset, write_dataset_v2


@pytest.fixture(scope="module")
def sample_service(tmp_path_factory: pytest.TempPathFactory, sample_dataset) -> PersonaService:
    path = tmp_path_factory.mktemp("measured") / "sample.duckdb"
    write_duckdb_file(path, sample_dataset)
    return PersonaService.from_settings(Settings(_env_file=None, PERSONA_DUCKDB_PATH=path))


def prepared(service: PersonaService, name: str):
    return service.prepare(service.ground_segment(service.find_segment(name)), "en")


def share(dist: dict[str, float], *buckets: str) -> float:
    return sum(dist[b] for b in buckets)


# --- the rules of the sample's demographic segments, as the card shows them --------------------------------------

# (segment, rule): every figure is a percentage on the card.
RULES = [
    ("Casual gamers aged 45+", lambda d: share(d.age, "18-24", "25-34", "35-44") == 0.0),
    ("Health-conscious seniors", lambda d: d.age["55+"] == 100.0),
    ("Expecting and new mothers in mainland China", lambda d: d.gender["female"] == 100.0),
    ("University students", lambda d: d.age["18-24"] >= 90.0),
    ("University students in mainland China", lambda d: d.age["18-24"] >= 90.0),
    ("Young professionals in Shanghai", lambda d: share(d.age, "45-54", "55+") == 0.0 and d.age["18-24"] < 50),
    ("Young professionals in Hong Kong", lambda d: share(d.age, "45-54", "55+") == 0.0),
    ("Young singles in mainland China", lambda d: share(d.age, "35-44", "45-54", "55+") == 0.0),
    ("Working parents with school-age kids", lambda d: d.age["18-24"] == 0.0),
    ("Education-focused parents in mainland China", lambda d: d.age["18-24"] == 0.0),
    # Mothers and fathers both: neither gender is missing.
    ("New parents in Taiwan", lambda d: 30.0 <= d.gender["female"] <= 70.0 and d.age["55+"] == 0.0),
]


@pytest.mark.parametrize(("name", "rule"), RULES, ids=[name for name, _ in RULES])
def test_demographic_segments_show_figures_that_match_their_definition(sample_service, name, rule) -> None:
    demographics = prepared(sample_service, name).demographics
    assert demographics.source == "measured" and demographics.n and demographics.n >= 100
    assert rule(demographics), demographics


def test_the_pooled_estimate_lands_near_the_measured_audience_for_segments_defined_by_interests(sample_service):
    """The bound: for segments defined by interests alone (no age, gender or life stage in the rule), the pooled
    estimate is within 30 points of the measured audience for every segment (age TV and female share) and within
    10 points on average. Segments defined by age or life stage get no bound: there the apps cannot know."""
    demographic = {name for name, _ in RULES} | {"EV owners in mainland China"}
    gaps = {
        s.name: disagreement(prepared(sample_service, s.id).demographics)
        for s in sample_service.segments()
        if s.name not in demographic
    }
    assert len(gaps) >= 30
    for name, gap in gaps.items():
        assert gap["age"] <= 30 and gap["gender"] <= 30, (name, gap)
    assert statistics.mean(g["age"] for g in gaps.values()) <= 10
    assert statistics.mean(g["gender"] for g in gaps.values()) <= 10


def test_strong_disagreement_is_flagged_in_the_logs(sample_service, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="bot.service"):
        seniors = prepared(sample_service, "Health-conscious seniors").demographics
    assert disagreement(seniors)["age"] > DISAGREEMENT_POINTS
    flagged = [r for r in caplog.records if r.getMessage() == "pooled_disagrees_with_measured"]
    assert len(flagged) == 1 and flagged[0].segment == sample_service.find_segment("Health-conscious seniors").id
    # The pooled estimate is kept for comparison, with its own source.
    assert seniors.pooled is not None and seniors.pooled.source == "data" and seniors.pooled.age["55+"] < 100


def test_a_small_measured_sample_falls_back_to_the_pooled_estimate_and_says_why(sample_service) -> None:
    result = sample_service.run(PersonaRequest(kind="segment", query="EV owners in mainland China", lang="en"))
    demographics = result.demographics
    assert demographics.n is not None and demographics.n < 100
    assert demographics.source in ("data", "mixed", "ai_estimate") and demographics.fallback_reason == "small_sample"
    assert demographics.pooled is None
    text = render_text(result)
    assert f"Only {demographics.n} people measured, too few to show" in text
    card = persona_card(result)
    assert f"Only {demographics.n} people measured" in str(card["blocks"])


def test_min_sample_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    write_duckdb_file(path, read_dataset(write_dataset_v2(tmp_path / "csv")))
    strict = PersonaService.from_settings(Settings(_env_file=None, PERSONA_DUCKDB_PATH=path, PERSONA_MIN_SAMPLE=2000))
    loose = PersonaService.from_settings(Settings(_env_file=None, PERSONA_DUCKDB_PATH=path, PERSONA_MIN_SAMPLE=30))
    assert prepared(strict, "s1").demographics.fallback_reason == "small_sample"
    # s1 measured 1500 people: shown, with the pooled estimate beside it.
    shown = prepared(loose, "s1").demographics
    assert (shown.source, shown.n, shown.age) == ("measured", 1500, {"18-24": 25.0, "25-34": 55.0, "35+": 20.0})
    assert shown.pooled is not None and shown.pooled.source == "mixed"
    assert (prepared(loose, "s2").demographics.source, prepared(loose, "s2").demographics.n) == ("measured", 40)


def test_pasted_lists_and_v1_datasets_keep_the_pooled_figures(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    write_duckdb_file(path, read_dataset(write_dataset(tmp_path / "csv")))
    service = PersonaService.from_settings(Settings(_env_file=None, PERSONA_DUCKDB_PATH=path))
    segment = prepared(service, "s1")
    assert segment.demographics.source == "mixed" and segment.demographics.n is None
    assert [a.index for a in segment.grounding.apps] == [None, None, None]
    pasted = service.prepare(service.ground_apps("Keep 0.9, 小红书 0.6"), "en").demographics
    assert pasted.source == "data" and pasted.pooled is None and pasted.fallback_reason is None


def test_a_measurement_missing_a_dimension_is_not_shown() -> None:
    pooled = Demographics(age={"18-24": 50.0, "25+": 50.0}, gender={"female": 40.0, "male": 60.0}, coverage=1.0)
    measured = MeasuredAudience(shares={"gender": {"female": 0.7, "male": 0.3}}, n={"gender": 900})
    out = with_measured(pooled, measured, min_sample=100)
    assert (out.source, out.fallback_reason, out.n, out.gender) == ("data", "incomplete", 900, pooled.gender)
    assert with_measured(pooled, None, min_sample=100) == pooled
    assert distance_points({"a": 70.0, "b": 30.0}, {"a": 40.0, "b": 60.0}) == 30.0


# --- index --------------------------------------------------------------------------------------------------------


def test_index_values() -> None:
    assert app_index(0.21, 0.05) == 420.0
    assert app_index(0.63, 0.15) == 420.0
    assert app_index(0.05, 0.1) == 50.0
    assert app_index(None, 0.1) is None and app_index(0.3, None) is None and app_index(0.3, 0.0) is None
    assert times_average(420.0) == "4.2"
    apps = [GroundingApp(name=n, index=i) for n, i in [("A", 150.0), ("B", 900.0), ("C", None), ("D", 420.0),
                                                       ("E", 250.0), ("F", 300.0)]]
    assert [a.name for a in standouts(apps)] == ["B", "D", "F"]


def test_segment_apps_carry_penetration_reach_and_index(sample_service, sample_dataset) -> None:
    segment = sample_service.find_segment("Outdoor & cycling fans")
    apps = sample_service.ground_segment(segment).apps
    reach = {(r.app_id, r.market): r.reach for r in sample_dataset.app_reach}
    penetration = {r.app_id: r.penetration for r in sample_dataset.segment_apps if r.segment_id == segment.id}
    for app in apps:
        assert app.penetration == penetration[app.app_id]
        assert app.reach == reach.get((app.app_id, segment.market))
        assert app.index == app_index(app.penetration, app.reach)
    strava = next(a for a in apps if a.name == "Strava")
    assert strava.index is not None and strava.index > 300


@pytest.mark.parametrize("lang", LANGS)
def test_the_card_points_out_the_apps_used_far_more_than_average(sample_service, lang) -> None:
    result = sample_service.run(PersonaRequest(kind="segment", query="Casual gamers aged 45+", lang=lang))
    block = next(b for b in persona_card(result)["blocks"] if b.get("block_id") == "persona_standouts")
    lines = block["text"]["text"].splitlines()
    top = standouts(result.apps)
    assert len(lines) == 1 + len(top) == 4
    expected = {"en": "{app}: {r}× the average", "zh-TW": "{app}：平均的 {r} 倍", "zh-CN": "{app}：平均的 {r} 倍"}
    assert lines[1] == expected[lang].format(app=top[0].name, r=times_average(top[0].index))
    assert "n = " in render_text(result)


# --- Slack's limits ------------------------------------------------------------------------------------------------


def test_every_sample_segment_fits_slack_in_every_language(sample_service) -> None:
    checked = 0
    for segment in sample_service.segments():
        for lang in LANGS:
            result = sample_service.run(PersonaRequest(kind="segment", query=segment.id, lang=lang))
            for ephemeral in (True, False):
                assert violations(persona_card(result, ephemeral=ephemeral)) == [], (segment.id, lang)
            checked += 1
    assert checked == 3 * len(sample_service.segments()) >= 120
