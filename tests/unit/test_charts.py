"""Age and gender as Slack charts: the card's own figures, Slack's limits, the text line, and the stand-in's rules."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import LANGS
from bot.devtools.slack_standin.block_kit import MAX_MESSAGE_BLOCKS, block_problems
from bot.models import Demographics
from bot.slack.blocks.card import persona_card
from bot.slack.blocks.charts import demographic_charts, figures_line, has_charts
from bot.text_render import format_pct
from tests.support.block_limits import violations
from tests.support.results import make_result


def chart(card: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in card["blocks"] if b.get("block_id") == block_id)


def message(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"text": "fallback", "blocks": list(blocks)}


@pytest.mark.parametrize("lang", LANGS)
def test_the_card_draws_age_as_bars_and_gender_as_a_pie_with_its_own_figures(lang: str) -> None:
    result = make_result(lang=lang)
    card = persona_card(result)
    assert violations(card) == []
    age = chart(card, "persona_chart_age")["chart"]
    assert age["type"] == "bar"
    assert [p["value"] for p in age["series"][0]["data"]] == [round(v, 1) for v in result.demographics.age.values()]
    assert [p["label"] for p in age["series"][0]["data"]] == age["axis_config"]["categories"]
    gender = chart(card, "persona_chart_gender")["chart"]
    assert gender["type"] == "pie"
    assert [s["value"] for s in gender["segments"]] == [round(v, 1) for v in result.demographics.gender.values()]
    # The same figures as text, as the card prints them, for notifications and clients without charts.
    line = next(b for b in card["blocks"] if b.get("block_id") == "persona_demographics")["elements"][0]["text"]
    for pct in [*result.demographics.age.values(), *result.demographics.gender.values()]:
        assert format_pct(pct) in line


def test_empty_buckets_are_left_out_of_the_pie_and_labels_fit() -> None:
    demographics = Demographics(
        age={"a bucket with a very long name": 50.0, "a bucket with a very long name too": 50.0},
        gender={"female": 60.0, "male": 40.0, "other": 0.0, "unknown": 0.04},
    )
    age, gender = demographic_charts(demographics, "en")
    assert [s["label"] for s in gender["chart"]["segments"]] == ["female", "male"]
    labels = age["chart"]["axis_config"]["categories"]
    assert len(set(labels)) == 2 and all(len(label) <= 20 for label in labels)
    assert violations(message(age, gender)) == []


def test_no_figures_no_charts_and_the_text_bars_stay() -> None:
    result = make_result()
    result.demographics = Demographics(age={}, gender={"female": 0.0}, source="ai_estimate")
    assert demographic_charts(result.demographics, "en") == []
    assert not has_charts(persona_card(result))
    assert figures_line(Demographics(), "en") == ""


def test_without_charts_the_card_has_none() -> None:
    assert has_charts(persona_card(make_result()))
    assert not has_charts(persona_card(make_result(), charts=False))


# --- the limit checker and the stand-in agree on Slack's rules -----------------------------------------------------


def pie(*segments: tuple[str, float], title: str = "Gender") -> dict[str, Any]:
    return {"type": "data_visualization", "title": title,
            "chart": {"type": "pie", "segments": [{"label": label, "value": v} for label, v in segments]}}


def bar(categories: list[str], points: list[tuple[str, float]], *, axis: bool = True, series: int = 1) -> dict:
    chart: dict[str, Any] = {"type": "bar", "series": [
        {"name": f"s{i}", "data": [{"label": label, "value": v} for label, v in points]} for i in range(series)]}
    if axis:
        chart["axis_config"] = {"categories": categories, "x_label": "Age"}
    return {"type": "data_visualization", "title": "Age", "chart": chart}


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([pie(("a", 1), title="t" * 51)], "title: is 51 characters (limit 50)"),
        ([pie(*[(str(i), 1) for i in range(7)])], "needs 1–6 segments"),
        ([pie()], "needs 1–6 segments"),
        ([pie(("x" * 21, 1))], "label: is 21 characters (limit 20)"),
        ([pie(("a", 0))], "value must be a number above 0"),
        ([bar(["18-24"], [("18-24", 5)], axis=False)], "axis_config: is required"),
        ([bar(["18-24"], [("25-34", 5)])], "is not one of the axis categories"),
        ([bar(["18-24"], [("18-24", 5)], series=7)], "needs 1–6 series"),
        ([pie(("a", 1)), pie(("b", 1)), pie(("c", 1))], "3 charts (limit 2 per message)"),
    ],
)
def test_chart_limits_are_checked(blocks: list[dict[str, Any]], problem: str) -> None:
    found = violations(message(*blocks))
    assert any(problem in p for p in found), found
    # Slack's stand-in refuses the same payloads.
    assert block_problems(blocks, MAX_MESSAGE_BLOCKS)


def test_feedback_buttons_limits_are_checked() -> None:
    element = {"type": "feedback_buttons", "action_id": "f",
               "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up:1"}}
    found = violations(message({"type": "context_actions", "elements": [element]}))
    assert any("negative_button: is required" in p for p in found), found
    too_many = {"type": "context_actions", "elements": [{"type": "icon_button", "action_id": str(i)} for i in range(6)]}
    assert any("1–5 elements" in p for p in violations(message(too_many)))
    assert block_problems([too_many], MAX_MESSAGE_BLOCKS)


def test_the_stand_in_takes_the_cards_charts_and_can_refuse_them() -> None:
    card = persona_card(make_result(lang="zh-TW"))
    assert block_problems(card["blocks"], MAX_MESSAGE_BLOCKS) == []
    refused = block_problems(card["blocks"], MAX_MESSAGE_BLOCKS, charts=False)
    assert refused and all("data_visualization" in p for p in refused)
    assert block_problems(persona_card(make_result(), charts=False)["blocks"], MAX_MESSAGE_BLOCKS, charts=False) == []
