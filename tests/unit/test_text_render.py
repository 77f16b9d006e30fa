"""Plain-text rendering of a persona for the terminal."""

from __future__ import annotations

import math

import pytest

from bot.config import LANGS
from bot.models import (
    Citations,
    Demographics,
    GroundingApp,
    Hashtags,
    Meta,
    PersonaResult,
    SegmentInfo,
)
from bot.text_render import bar, display_width, distribution_rows, format_pct, render_text
from tests.support.results import GENERATED_AT
from tests.support.results import make_result as shared_result

HOSTILE = "<!channel> <http://evil.example|click> &amp; \x00\x1b[2J\x07 😀 \u202eRTL"


def make_result(*, lang: str = "en", text: str = "", apps: list[GroundingApp] | None = None) -> PersonaResult:
    """The persona whose rendering test_full_rendering spells out: fewer apps and buckets than a card test's."""
    return shared_result(
        lang=lang,
        text=text,
        id="p_1",
        segment=SegmentInfo(id="fit", name="Fitness enthusiasts" + text, description="Runners" + text, size=120000),
        apps=apps
        if apps is not None
        else [
            GroundingApp(name="Keep" + text, app_id="keep", score=0.92, category="Health & Fitness", weight=0.6),
            GroundingApp(name="Strava", app_id=None, score=0.5, weight=0.4),
        ],
        hashtags=Hashtags(zh=["健身", "#跑步"], en=["fitness" + text]),
        demographics=Demographics(
            age={"18-24": 23.4, "25-34": 76.6}, gender={"female": 55.2, "male": 44.8}, source="data", coverage=1.0
        ),
        citations=Citations(interests=["Keep" + text, "Strava"]),
        meta=Meta(model="gpt-4.1-mini", prompt_version="v3", generated_at=GENERATED_AT, writer="llm", lang=lang),
    )


def test_full_rendering():
    assert render_text(make_result()) == "\n".join(
        [
            "Fitness enthusiasts",
            "═══════════════════",
            "Runners · 120,000 people",
            "",
            "Basic attributes",
            "  About basic_attributes.",
            "",
            "Personality",
            "  About personality.",
            "",
            "Psychological state",
            "  About psychological_state.",
            "",
            "Interests",
            "  About interests.",
            "  ↳ Keep, Strava",
            "",
            "Lifestyle",
            "  About lifestyle.",
            "",
            "Hashtags",
            "  #健身 #跑步",
            "  #fitness",
            "",
            "Age",
            "  18-24  ▓▓░░░░░░░░  23.4%",
            "  25-34  ▓▓▓▓▓▓▓▓░░  76.6%",
            "Gender",
            "  female  ▓▓▓▓▓▓░░░░  55.2%",
            "  male    ▓▓▓▓░░░░░░  44.8%",
            "",
            "Grounded on 2 apps",
            "  ● Keep (Health & Fitness) · 0.92",
            "  ○ Strava · 0.50 · unmatched",
            "",
            "Source: data · coverage 100% · Model: gpt-4.1-mini · prompt v3 · Generated 2024-05-01 12:34 UTC",
            "",
        ]
    )


def test_hostile_text_is_shown_as_plain_text_without_control_characters():
    out = render_text(make_result(text=HOSTILE))
    # No Slack escaping in a terminal: the text reads as typed.
    assert "Keep<!channel> <http://evil.example|click> &amp; [2J 😀 RTL" in out
    assert "&lt;" not in out and "&amp;amp;" not in out
    assert "<!date" not in out and "*" not in out and "`" not in out
    for ch in "\x00\x1b\x07\u202e":
        assert ch not in out


def test_multiline_fields_stay_indented():
    result = make_result()
    result.profile.lifestyle = "Early riser.\nRuns before work."
    assert "Lifestyle\n  Early riser.\n  Runs before work.\n" in render_text(result)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Basic attributes", "Gender", "  female  ", "Grounded on 2 apps", "unmatched"]),
        ("zh-TW", ["基本屬性", "性別", "  女性  ", "依據 2 個 App", "未比對到", "12萬人"]),
        ("zh-CN", ["基本属性", "性别", "  女性  ", "基于 2 个 App", "未匹配", "来源：数据"]),
    ],
)
def test_languages(lang: str, expected: list[str]):
    out = render_text(make_result(lang=lang))
    for fragment in expected:
        assert fragment in out, fragment


def test_pasted_apps_and_long_lists_are_shown_in_full():
    apps = [GroundingApp(name=f"App {i}", app_id=f"a{i}", score=0.5) for i in range(200)]
    result = make_result(apps=apps).model_copy(update={"segment": None})
    out = render_text(result)
    assert out.startswith("Persona for 200 pasted apps\n")
    assert "  ● App 199 · 0.50\n" in out
    assert "more" not in out


def test_footer_notes():
    result = make_result()
    result.meta.writer = "offline"
    result.meta.cached = True
    result.meta.truncated_input = True
    result.meta.note = "The LLM timed out.\x1b[0m"
    result.demographics = Demographics(age={}, gender={}, source="ai_estimate", coverage=0.0)
    out = render_text(result)
    assert "No age or gender data for these apps.\n(AI estimate — not enough audience data)\n" in out
    assert out.endswith(
        "Source: AI estimate · coverage 0% · Model: gpt-4.1-mini · prompt v3 · Generated 2024-05-01 12:34 UTC"
        " · cached\n"
        "Offline draft — written without an LLM\n"
        "The pasted list was long; only its first part was used.\n"
        "The LLM timed out.[0m\n"
    )


@pytest.mark.parametrize(
    ("pct", "expected"),
    [
        (0, "░" * 10),
        (4.9, "░" * 10),
        (5.1, "▓" + "░" * 9),
        (23.4, "▓▓" + "░" * 8),
        (25, "▓▓▓" + "░" * 7),
        (35, "▓▓▓▓" + "░" * 6),
        (100, "▓" * 10),
        (150, "▓" * 10),
        (-3, "░" * 10),
        (math.nan, "░" * 10),
        (math.inf, "░" * 10),
    ],
)
def test_bar(pct: float, expected: str):
    assert bar(pct) == expected


def test_format_pct_handles_non_finite():
    assert format_pct(23.44) == "23.4%"
    assert format_pct(math.nan) == "0.0%"


def test_display_width_counts_wide_and_zero_width_characters():
    assert display_width("abc") == 3
    assert display_width("女性") == 4
    assert display_width("e\u0301") == 1
    assert display_width("a\u200db") == 2


@pytest.mark.parametrize("lang", LANGS)
def test_distribution_rows_align_in_monospace(lang: str):
    rows = distribution_rows({"female": 50.0, "male": 40.0, "unknown": 10.0}, lang)
    assert len({display_width(label) for label, _ in rows}) == 1
    assert [figures for _, figures in rows] == ["▓▓▓▓▓░░░░░  50.0%", "▓▓▓▓░░░░░░  40.0%", "▓░░░░░░░░░  10.0%"]
