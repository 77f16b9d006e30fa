"""The persona card and status messages: layout, escaping, and Slack's limits (checked by bot.slack.blocks.limits)."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import LANGS
from bot.i18n import bucket_label, keys, normalize_lang, t
from bot.models import (
    PROFILE_FIELDS,
    Citations,
    ClosestSegment,
    Demographics,
    GroundingApp,
    Hashtags,
    Meta,
    PersonaResult,
    Profile,
    SegmentInfo,
)
from bot.mrkdwn import length
from bot.slack.blocks.card import error_message, persona_card, progress_card, working_message
from bot.slack.blocks.limits import MAX_TOTAL_TEXT, total_text
from tests.support.block_limits import violations
from tests.support.results import GENERATED_AT, make_result

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|[^<>|]+>")
HOSTILE = "<!channel> <!here> <@U123> <#C1> <http://evil.example|click> &amp; \x00\x1b[2J\x07 😀 \u202eRTL\u202c \u200f"
ALL_ACTIONS = {
    "persona_partnership",
    "persona_competitor",
    "persona_share",
    "persona_regenerate",
    "persona_feedback",
    "persona_export",
    "persona_compare",
}


# --- builders ---------------------------------------------------------------------------------------------------


def make_apps(n: int, *, name: str = "App") -> list[GroundingApp]:
    return [
        GroundingApp(
            name=f"{name} {i}",
            app_id=f"app{i}" if i % 3 else None,
            score=round(1 - i / (n + 1), 2),
            category="Health & Fitness" if i % 2 else None,
            weight=1 / n,
            has_audience=bool(i % 3),
        )
        for i in range(n)
    ]


def pasted(result: PersonaResult) -> PersonaResult:
    return result.model_copy(update={"segment": None})


# --- payload inspection -----------------------------------------------------------------------------------------


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value
        else:
            for item in value.values():
                yield from text_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_objects(item)


def mrkdwn_texts(payload: dict) -> list[str]:
    """Everything Slack parses as mrkdwn: the fallback text and every mrkdwn object."""
    return [payload["text"], *(o["text"] for o in text_objects(payload["blocks"]) if o["type"] == "mrkdwn")]


def block(payload: dict, block_id: str) -> dict:
    found = [b for b in payload["blocks"] if b.get("block_id") == block_id]
    assert len(found) == 1, f"{block_id} in {[b.get('block_id') for b in payload['blocks']]}"
    return found[0]


def block_text(payload: dict, block_id: str) -> str:
    return "\n".join(o["text"] for o in text_objects(block(payload, block_id)))


def buttons(payload: dict) -> list[dict]:
    return [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]]


def assert_no_live_markup(payload: dict) -> None:
    """No mention, channel link or hidden link can fire: only our own date token is real markup."""
    tokens = 0
    for text in mrkdwn_texts(payload):
        tokens += len(DATE_TOKEN.findall(text))
        rest = DATE_TOKEN.sub("", text)
        assert "<" not in rest and ">" not in rest, rest
    assert tokens <= 1
    # Searching the serialized payload: outside plain_text objects (which Slack never parses for mentions or
    # links) nothing that opens Slack markup may appear except the date token.
    stripped = json.loads(json.dumps(payload))
    for obj in text_objects(stripped["blocks"]):
        if obj["type"] == "plain_text":
            obj["text"] = "plain"
    serialized = DATE_TOKEN.sub("", json.dumps(stripped, ensure_ascii=False))
    for opener in ("<!", "<@", "<#", "<http"):
        assert opener not in serialized, opener
    # Control characters are gone from every text, plain_text included (button values are opaque ids).
    for text in [payload["text"], *(o["text"] for o in text_objects(payload["blocks"]))]:
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", text), text


def assert_fits(payload: dict) -> None:
    assert violations(payload) == []
    assert_no_live_markup(payload)


# --- the persona card -------------------------------------------------------------------------------------------


def test_normal_card_layout():
    card = persona_card(make_result())
    assert_fits(card)
    assert card["blocks"][0] == {
        "type": "header",
        "block_id": "persona_header",
        "text": {"type": "plain_text", "text": "Fitness enthusiasts in Taipei", "emoji": True},
    }
    assert block_text(card, "persona_segment") == "Runners and gym-goers · 120,000 people"
    # Key facts right under the headline: the largest age band, the gender split, the most over-indexing app.
    facts = [e["text"] for e in block(card, "persona_facts")["elements"]]
    assert facts[:2] == ["Largest age group: 25-34 (40.1%)", "Female 55.2% / male 44.8%"]
    # Compact fields: the name leads the text on one line.
    assert block_text(card, "persona_field_basic_attributes") == "*Basic attributes*  About basic_attributes."
    assert block_text(card, "persona_field_lifestyle") == "*Lifestyle*  About lifestyle."
    assert block_text(card, "persona_cite_interests") == "↳ Keep, Strava"
    assert [b["block_id"] for b in card["blocks"] if b["block_id"].startswith("persona_cite_")] == [
        "persona_cite_basic_attributes",
        "persona_cite_interests",
    ]
    assert block_text(card, "persona_hashtags") == "*Hashtags*\n#健身 #跑步\n#fitness #running"
    assert card["text"] == "Persona: Fitness enthusiasts in Taipei — About basic_attributes."


def test_profile_sections_follow_the_field_order():
    ids = [b["block_id"] for b in persona_card(make_result())["blocks"]]
    positions = [ids.index(f"persona_field_{field}") for field in PROFILE_FIELDS]
    assert positions == sorted(positions)
    assert ids.index("persona_header") == 0
    assert positions[-1] < ids.index("persona_hashtags") < ids.index("persona_demographics")
    assert ids.index("persona_apps") < ids.index("persona_footer") < ids.index("persona_actions")


def test_without_charts_demographics_are_bars_in_code_spans():
    fields = block(persona_card(make_result(), charts=False), "persona_demographics")["fields"]
    age, gender = (f["text"] for f in fields)
    assert age.splitlines() == [
        "*Age*",
        "`18-24  ▓▓░░░░░░░░  23.4%`",
        "`25-34  ▓▓▓▓░░░░░░  40.1%`",
        "`35-44  ▓▓░░░░░░░░  20.0%`",
        "`45-54  ▓░░░░░░░░░  10.0%`",
        "`55+    ▓░░░░░░░░░   6.5%`",
    ]
    assert gender.splitlines() == ["*Gender*", "`female  ▓▓▓▓▓▓░░░░  55.2%`", "`male    ▓▓▓▓░░░░░░  44.8%`"]


def test_no_demographics_says_so():
    result = make_result()
    result.demographics = Demographics(source="ai_estimate", coverage=0.0)
    card = persona_card(result)
    assert_fits(card)
    assert block_text(card, "persona_demographics") == "No age or gender data for these apps."


@pytest.mark.parametrize(
    ("source", "coverage", "label"),
    [
        ("ai_estimate", 0.1, "⚠️ AI estimate — not enough audience data"),
        ("mixed", 0.64, "⚠️ Based on 64% of the apps' weight"),
    ],
)
def test_source_label_for_estimates(source: str, coverage: float, label: str):
    card = persona_card(make_result(source=source, coverage=coverage))
    assert block_text(card, "persona_demographics_source") == label
    assert f"{t(f'source.{source}', 'en')} · coverage {round(coverage * 100)}%" in block_text(card, "persona_footer")


def test_no_source_label_when_all_from_data():
    card = persona_card(make_result(source="data", coverage=1.0))
    assert "persona_demographics_source" not in [b["block_id"] for b in card["blocks"]]
    assert "Source: data · coverage 100%" in block_text(card, "persona_footer")


def test_grounding_apps_mark_matched_and_unmatched():
    text = block_text(persona_card(make_result()), "persona_apps")
    assert text.splitlines() == [
        "*Grounded on 3 apps*",
        "● Keep (Health &amp; Fitness) · 0.92",
        "○ Strava · 0.50 · _unmatched_",
        "● Nike Run Club (Sports)",
    ]


def card_id(card: dict) -> str:
    return next(b for b in buttons(card) if b["action_id"] == "persona_regenerate")["value"]


def test_two_hundred_apps_are_folded():
    card = persona_card(make_result(apps=make_apps(200)))
    assert_fits(card)
    lines = block(card, "persona_apps")["text"]["text"].splitlines()
    assert lines[0] == "*Grounded on 200 apps*"
    assert len([line for line in lines if line[0] in "●○"]) == 5
    assert lines[-1] == "… and 195 more"
    # The rest is one click away.
    more = block(card, "persona_apps")["accessory"]
    assert (more["action_id"], more["text"]["text"]) == ("persona_more_apps", "All 200 apps")
    assert more["value"] == card_id(card)
    assert "accessory" not in block(persona_card(make_result(apps=make_apps(5))), "persona_apps")


def test_two_hundred_huge_hostile_apps_still_fit():
    card = persona_card(make_result(apps=make_apps(200, name="&<>" * 400 + HOSTILE)))
    assert_fits(card)
    lines = block(card, "persona_apps")["text"]["text"].splitlines()
    assert lines[-1].startswith("… and ")
    shown = len([line for line in lines if line[0] in "●○"])
    assert lines[-1] == f"… and {200 - shown} more"


def test_fallback_text_for_pasted_apps():
    card = persona_card(pasted(make_result(lang="zh-CN")))
    assert card["text"] == "3 个粘贴 App 的用户画像 — About basic_attributes."


def test_one_app_is_singular():
    card = persona_card(pasted(make_result(apps=make_apps(1))))
    assert card["blocks"][0]["text"]["text"] == "Persona for 1 pasted app"
    assert block_text(card, "persona_apps").startswith("*Grounded on 1 app*")


def test_long_profile_fields_are_cut_to_fit():
    card = persona_card(make_result(profile_text="x" * 3000))
    assert_fits(card)
    assert total_text(card["blocks"]) <= MAX_TOTAL_TEXT
    sections = [block_text(card, f"persona_field_{field}") for field in PROFILE_FIELDS]
    assert all(s.endswith("…") for s in sections)
    # The five fields share the room evenly when all are long.
    sizes = [length(s) - length(s.split("*  ", 1)[0]) for s in sections]
    assert max(sizes) - min(sizes) <= 25, sizes
    assert min(sizes) > 1500


def test_a_single_long_field_gets_the_room_the_others_leave():
    result = make_result()
    result.profile.interests = "y" * 5000
    card = persona_card(result)
    assert_fits(card)
    interests = block_text(card, "persona_field_interests")
    assert interests.endswith("…") and length(interests) > 2900
    assert block_text(card, "persona_field_lifestyle") == "*Lifestyle*  About lifestyle."


def test_escaping_expansion_is_counted_before_cutting():
    # 3000 ampersands become 15000 characters once escaped; the cut must respect the escaped size.
    card = persona_card(make_result(profile_text="&" * 3000))
    assert_fits(card)
    for field in PROFILE_FIELDS:
        body = block_text(card, f"persona_field_{field}").split("*  ", 1)[1]
        assert re.fullmatch(r"(?:&amp;)+…", body), body[-20:]


def test_hostile_text_everywhere_is_inert():
    result = make_result(text=HOSTILE, note="fell back: " + HOSTILE, writer="offline")
    result.hashtags = Hashtags(zh=[HOSTILE, "<!everyone>"], en=["<@U999|boss>", "#ok"])
    card = persona_card(result, ephemeral=True, cached_ago="3 min ago " + HOSTILE)
    assert_fits(card)
    footer = block_text(card, "persona_footer")
    assert "&lt;!channel&gt;" in footer  # the note is shown, escaped
    assert "&amp;amp;" in block_text(card, "persona_field_personality")
    assert "&lt;http://evil.example|click&gt;" in block_text(card, "persona_field_interests")
    assert "● Keep&lt;!channel&gt; &lt;!here&gt;" in block_text(card, "persona_apps")
    assert "#&lt;!everyone&gt;" in block_text(card, "persona_hashtags")
    assert "😀" in block_text(card, "persona_field_lifestyle")


def test_hostile_pasted_title_and_segment_text():
    for result in (pasted(make_result(text=HOSTILE)), make_result(text=HOSTILE * 20)):
        card = persona_card(result)
        assert_fits(card)
        assert length(card["blocks"][0]["text"]["text"]) <= 150


def test_only_the_footer_holds_the_date_token():
    result = make_result(text="<!date^1^{date}|x>")
    card = persona_card(result)
    assert_fits(card)
    tokens = [m for text in mrkdwn_texts(card) for m in DATE_TOKEN.findall(text)]
    assert tokens == [str(int(GENERATED_AT.timestamp()))]
    assert "|2024-05-01 12:34 UTC>" in block_text(card, "persona_footer")


def test_footer_parts():
    footer = block(persona_card(make_result(writer="llm")), "persona_footer")["elements"]
    texts = [e["text"] for e in footer]
    assert texts[:2] == ["Source: data · coverage 100%", "Model: gpt-4.1-mini · prompt v3"]
    assert texts[2].startswith("Generated <!date^")
    assert len(texts) == 3

    result = make_result(writer="offline", note="The LLM timed out; this is an offline draft.")
    result.meta.truncated_input = True
    texts = [e["text"] for e in block(persona_card(result, cached_ago="5 min ago"), "persona_footer")["elements"]]
    assert texts[3:] == [
        "cached 5 min ago",
        "Offline draft — written without an LLM",
        "The pasted list was long; only its first part was used.",
        "The LLM timed out; this is an offline draft.",
    ]


def test_cached_flag_without_age():
    result = make_result()
    result.meta.cached = True
    assert "cached" in [e["text"] for e in block(persona_card(result), "persona_footer")["elements"]]


@pytest.mark.parametrize("ephemeral", [True, False])
def test_buttons_carry_only_the_persona_id(ephemeral: bool):
    result = make_result()
    card = persona_card(result, ephemeral=ephemeral)
    found = buttons(card)
    # Buttons carry the id; the Export menu's options carry `<format>:<id>` and nothing else.
    assert {b["value"] for b in found if b["type"] == "button"} == {result.id}
    menu = next(b for b in found if b["action_id"] == "persona_export")
    assert [o["value"] for o in menu["options"]] == [f"{fmt}:{result.id}" for fmt in ("markdown", "csv", "pptx")]
    feedback = block(card, "persona_feedback")["elements"]
    expected = ALL_ACTIONS if ephemeral else ALL_ACTIONS - {"persona_share"}
    assert {b["action_id"] for b in [*found, *feedback]} == expected
    votes = [feedback[0][key]["value"] for key in ("positive_button", "negative_button")]
    assert votes == [f"up:{result.id}", f"down:{result.id}"]
    assert [b["block_id"] for b in card["blocks"] if b["type"] in ("actions", "context_actions")] == [
        "persona_actions", "persona_feedback"]


def test_only_a_segment_card_offers_compare():
    assert "persona_compare" in {b["action_id"] for b in buttons(persona_card(make_result()))}
    pasted = make_result(segment=None)
    pasted.segment = None
    assert "persona_compare" not in {b["action_id"] for b in buttons(persona_card(pasted))}


def test_block_ids_are_stable_across_personas():
    first = persona_card(make_result())
    second = persona_card(make_result(text=" other", lang="zh-CN"))
    assert [b["block_id"] for b in first["blocks"]] == [b["block_id"] for b in second["blocks"]]


def test_an_absurd_persona_id_is_refused_rather_than_cut():
    result = make_result()
    result.id = "p" * 2001
    with pytest.raises(ValueError, match="longer than 2000"):
        persona_card(result)


EXPECTED_TITLES = {
    "en": ("Basic attributes", "Psychological state", "female", "Partnership ideas", "Persona for 3 pasted apps"),
    "zh-TW": ("基本屬性", "心理狀態", "女性", "合作點子", "3 個貼上 App 的人物誌"),
    "zh-CN": ("基本属性", "心理状态", "女性", "合作点子", "3 个粘贴 App 的用户画像"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_three_languages(lang: str):
    basic, psych, female, partnership, pasted_title = EXPECTED_TITLES[lang]
    card = persona_card(make_result(lang=lang))
    assert_fits(card)
    assert block_text(card, "persona_field_basic_attributes").startswith(f"*{basic}*  ")
    assert block_text(card, "persona_field_psychological_state").startswith(f"*{psych}*  ")
    assert f"`{female}  " in block_text(persona_card(make_result(lang=lang), charts=False), "persona_demographics")
    assert f"{female} 55.2%" in block_text(card, "persona_demographics")
    assert buttons(card)[0]["text"]["text"] == partnership
    assert persona_card(pasted(make_result(lang=lang)))["blocks"][0]["text"]["text"] == pasted_title


# --- progress, working and error messages -----------------------------------------------------------------------


def test_progress_card_shows_the_data_part():
    result = make_result(source="mixed", coverage=0.7)
    card = progress_card(title="Fitness", apps=result.apps, demographics=result.demographics, lang="en")
    assert_fits(card)
    assert card["text"] == "Writing the persona…"
    assert card["blocks"][0]["text"]["text"] == "Fitness"
    assert block_text(card, "persona_progress") == "⏳ Writing the persona…"
    assert block_text(card, "persona_demographics").startswith("*Age*\n`18-24")
    assert block_text(card, "persona_demographics_source") == "⚠️ Based on 70% of the apps' weight"
    assert block_text(card, "persona_apps").startswith("*Grounded on 3 apps*\n● Keep")


def test_progress_card_without_demographics_and_with_many_hostile_apps():
    apps = make_apps(200, name=HOSTILE * 5)
    card = progress_card(title=None, apps=apps, demographics=None, lang="zh-TW")
    assert_fits(card)
    assert card["blocks"][0]["text"]["text"] == "200 個貼上 App 的人物誌"
    assert "persona_demographics" not in [b["block_id"] for b in card["blocks"]]
    assert block_text(card, "persona_apps").endswith("… 還有 195 個")


def test_progress_card_with_hostile_title():
    card = progress_card(title=HOSTILE * 10, apps=[], demographics=None, lang="en")
    assert_fits(card)
    assert length(card["blocks"][0]["text"]["text"]) <= 150


@pytest.mark.parametrize("lang", LANGS)
def test_working_message(lang: str):
    message = working_message(lang)
    assert_fits(message)
    assert message["text"] == t("working", lang)


def test_error_message_with_suggestions_example_and_retry():
    message = error_message(
        "No segment matches 'fitnes'.",
        "en",
        suggestions=[("fitness_tpe", "Fitness enthusiasts in Taipei"), ("runners", "Runners")],
        example="小红书 0.92, Keep 0.85",
        retry_value="req_1",
    )
    assert_fits(message)
    assert block_text(message, "persona_error") == "⚠️ No segment matches 'fitnes'."
    picks = block(message, "persona_suggestions")["elements"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in picks] == [
        ("persona_pick_segment_1", "fitness_tpe", "Fitness enthusiasts in Taipei"),
        ("persona_pick_segment_2", "runners", "Runners"),
    ]
    assert block_text(message, "persona_example") == "Example: `小红书 0.92, Keep 0.85`"
    retry = block(message, "persona_retry_actions")["elements"]
    assert [(b["action_id"], b["value"]) for b in retry] == [("persona_retry", "req_1")]
    assert message["text"] == "No segment matches 'fitnes'."


def test_error_message_minimal_and_hostile():
    message = error_message(
        HOSTILE * 200, "zh-CN", suggestions=[(f"s{i}", HOSTILE) for i in range(40)], example="`" + HOSTILE
    )
    assert_fits(message)
    assert len(block(message, "persona_suggestions")["elements"]) == 25
    assert "persona_retry_actions" not in [b["block_id"] for b in message["blocks"]]
    empty = error_message("  ", "zh-TW")
    assert_fits(empty)
    assert empty["text"] == "發生錯誤。"
    assert [b["block_id"] for b in empty["blocks"]] == ["persona_error"]


# --- the limit checker ------------------------------------------------------------------------------------------


def msg(*blocks: dict, text: str = "fallback") -> dict:
    return {"text": text, "blocks": list(blocks)}


def section(text: str, **extra: Any) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str = "a", *, label: str = "Go", value: str = "v") -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}, "value": value}


def test_checker_accepts_a_valid_message():
    assert violations(msg(section("hi"), {"type": "divider"})) == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (msg(section("x" * 3001)), "3001 characters (limit 3000)"),
        (msg({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}), "151 characters (limit 150)"),
        (msg({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}), "must be plain_text"),
        (msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}), "11 fields (limit 10)"),
        (msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}), "(limit 2000)"),
        (msg({"type": "actions", "elements": [button(label="b" * 76)]}), "76 characters (limit 75)"),
        (msg({"type": "actions", "elements": [button(value="v" * 2001)]}), "value longer than 2000"),
        (msg({"type": "actions", "elements": [button("a" * 256)]}), "action_id is 256 characters"),
        (msg({"type": "actions", "elements": [button(str(i)) for i in range(26)]}), "26 action elements"),
        (msg({"type": "actions", "elements": [button("same"), button("same")]}), "duplicate action_id"),
        (msg({"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}), "11 context elements"),
        (msg(section("a", block_id="b" * 256)), "block_id is 256 characters"),
        (msg(section("a", block_id="x"), section("b", block_id="x")), "duplicate block_id 'x'"),
        (msg(section("a"), text=""), "fallback text is missing or blank"),
        ({"blocks": [section("a")]}, "fallback text is missing or blank"),
        (msg(section("a"), text="t" * 4001), "4001 characters (limit 4000)"),
        (msg(*[section("a")] * 51), "51 blocks (limit 50)"),
        (msg(*[section("x" * 2500)] * 5), "12500 characters of text in blocks (limit 12000)"),
        (msg(section("   ")), "text is missing or blank"),
        (msg({"type": "section"}), "section needs text or fields"),
        (msg({"type": "mystery"}), "unknown block type 'mystery'"),
    ],
)
def test_checker_reports_each_limit(payload: dict, expected: str):
    found = violations(payload)
    assert any(expected in problem for problem in found), found


def test_checker_includes_slack_sdk_formation_errors():
    found = violations(msg({"type": "actions", "elements": [button(label="b" * 76)]}))
    assert any(problem.startswith("blocks[0]: slack_sdk:") for problem in found), found


def test_checker_counts_utf16_units():
    # 1500 emoji are 3000 UTF-16 units: at the limit, one more is over.
    assert violations(msg(section("😀" * 1500))) == []
    assert violations(msg(section("😀" * 1500 + "x")))


def test_checker_for_modals():
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Persona"}, "blocks": [section("a")] * 100}
    assert violations(view, kind="modal") == []
    view["blocks"] = [section("a")] * 101
    assert any("101 blocks (limit 100)" in p for p in violations(view, kind="modal"))
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T" * 25}, "blocks": [section("a")]}
    assert any(p.startswith("title:") for p in violations(view, kind="modal"))


# --- UI strings ---------------------------------------------------------------------------------------------------


PLACEHOLDERS = (
    "n", "size", "pct", "model", "version", "when", "ago", "name", "example", "query", "error", "channel", "seconds",
    "ref", "items", "shared", "of", "names", "apps", "app", "ratio", "figures", "top", "category", "bucket", "split",
    "score", "facts", "gap", "overlap", "market", "note", "checks", "status",
)


def test_every_string_exists_in_every_language_with_the_same_placeholders():
    # Sentinel values show which placeholders each translation actually uses.
    sentinels = {name: f"⟦{name}⟧" for name in PLACEHOLDERS}
    for key in keys():
        used = []
        for lang in LANGS:
            text = t(key, lang, **sentinels)
            assert text.strip(), (key, lang)
            used.append({name for name, value in sentinels.items() if value in text})
        assert used[0] == used[1] == used[2], key
    assert t("title.pasted", "zh-TW", n=2) != t("title.pasted", "en", n=2)


def test_unknown_key_raises():
    with pytest.raises(KeyError):
        t("no.such.key", "en")


def test_missing_placeholder_raises():
    with pytest.raises(KeyError):
        t("grounded_on", "en")


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("en-US", "en"),
        ("zh-TW", "zh-TW"),
        ("zh-tw", "zh-TW"),
        ("zh_HK", "zh-TW"),
        ("zh-Hant-TW", "zh-TW"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("ja-JP", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_normalize_lang(locale: str | None, lang: str):
    assert normalize_lang(locale) == lang


def test_bucket_labels():
    assert bucket_label("female", "zh-TW") == "女性"
    assert bucket_label("Male", "zh-CN") == "男性"
    assert bucket_label("male", "en") == "male"
    assert bucket_label("25-34", "zh-TW") == "25-34"


# --- property: any text in any field -----------------------------------------------------------------------------

texts = st.text(max_size=400)
small_texts = st.text(max_size=40)
percents = st.floats(allow_nan=True, allow_infinity=True)


@st.composite
def random_results(draw: st.DrawFn) -> tuple[PersonaResult, bool, str | None]:
    apps = draw(
        st.lists(
            st.builds(
                GroundingApp,
                name=texts,
                app_id=st.none() | small_texts,
                score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
                category=st.none() | small_texts,
            ),
            max_size=25,
        )
    )
    segment = draw(
        st.none()
        | st.builds(
            SegmentInfo,
            id=small_texts,
            name=texts,
            description=texts,
            size=st.none() | st.integers(min_value=0, max_value=10**12),
        )
    )
    result = PersonaResult(
        id=draw(st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)),
        segment=segment,
        apps=apps,
        profile=Profile(**{field: draw(st.text(max_size=3500)) for field in PROFILE_FIELDS}),
        hashtags=Hashtags(zh=draw(st.lists(small_texts, max_size=12)), en=draw(st.lists(small_texts, max_size=12))),
        demographics=Demographics(
            age=draw(st.dictionaries(small_texts, percents, max_size=15)),
            gender=draw(st.dictionaries(small_texts, percents, max_size=4)),
            source=draw(st.sampled_from(["data", "ai_estimate", "mixed"])),
            coverage=draw(st.floats(min_value=0, max_value=1)),
        ),
        citations=Citations(**{field: draw(st.lists(small_texts, max_size=5)) for field in PROFILE_FIELDS}),
        meta=Meta(
            model=draw(small_texts),
            prompt_version=draw(small_texts),
            generated_at=GENERATED_AT,
            cached=draw(st.booleans()),
            writer=draw(st.sampled_from(["llm", "offline"])),
            lang=draw(st.sampled_from(LANGS)),
            note=draw(st.none() | texts),
            truncated_input=draw(st.booleans()),
        ),
    )
    return result, draw(st.booleans()), draw(st.none() | small_texts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_results())
def test_any_text_in_any_field_still_fits(case: tuple[PersonaResult, bool, str | None]):
    result, ephemeral, cached_ago = case
    card = persona_card(result, ephemeral=ephemeral, cached_ago=cached_ago)
    assert_fits(card)
    progress = progress_card(
        title=result.segment.name if result.segment else None,
        apps=result.apps,
        demographics=result.demographics,
        lang=result.meta.lang,
    )
    assert_fits(progress)


@settings(max_examples=40, deadline=None)
@given(texts, st.lists(st.tuples(small_texts, texts), max_size=30), st.none() | texts, st.none() | small_texts)
def test_any_error_message_fits(text: str, suggestions: list[tuple[str, str]], example: str | None, retry: str | None):
    message = error_message(text, "en", suggestions=suggestions, example=example, retry_value=retry)
    assert_fits(message)


# --- pasted lists: merged names, closest segments and the title ------------------------------------------------

CLOSEST = [
    ClosestSegment(id="seg_001", name="Fitness enthusiasts in Taipei", name_zh_tw="台北健身愛好者",
                   name_zh_cn="台北健身爱好者", shared=7, of=10, similarity=0.81),
    # No translation in the dataset: its name as given, escaped.
    ClosestSegment(id="seg_009", name="Runners <!here>", shared=5, of=10, similarity=0.6),
]


@pytest.mark.parametrize("lang", LANGS)
def test_pasted_card_is_titled_after_its_closest_segment_and_names_them(lang: str) -> None:
    result = pasted(make_result(lang=lang)).model_copy(update={"closest_segments": CLOSEST})
    card = persona_card(result)
    assert_fits(card)
    name = CLOSEST[0].localized_name(lang)
    assert name == {"en": "Fitness enthusiasts in Taipei", "zh-TW": "台北健身愛好者", "zh-CN": "台北健身爱好者"}[lang]
    assert card["blocks"][0]["text"]["text"] == t("title.pasted_closest", lang, name=name)
    closest = block_text(card, "persona_closest")
    assert name in closest and "Runners &lt;!here&gt;" in closest
    assert lang == "en" or "Fitness" not in closest
    if lang == "en":
        assert closest == (
            "🧭 Closest segments: Fitness enthusiasts in Taipei, 7 of 10 apps shared · "
            "Runners &lt;!here&gt;, 5 of 10 apps shared"
        )


def test_a_weak_closest_segment_is_named_but_not_the_title() -> None:
    weak = [ClosestSegment(id="seg_001", name="Fitness enthusiasts in Taipei", shared=1, of=3, similarity=0.3)]
    card = persona_card(pasted(make_result()).model_copy(update={"closest_segments": weak}))
    assert card["blocks"][0]["text"]["text"] == "Persona for 3 pasted apps"
    expected = "🧭 Closest segment: Fitness enthusiasts in Taipei, 1 of 3 apps shared"
    assert block_text(card, "persona_closest") == expected


def test_merged_names_are_shown_on_the_grounding_line() -> None:
    apps = [GroundingApp(name="RED", app_id="xhs", score=0.9, category="social", merged_from=["小紅書", "<@U1>"])]
    card = persona_card(pasted(make_result(apps=apps)))
    assert block_text(card, "persona_apps").splitlines()[1] == "● RED (Social) · 0.90 · merged with 小紅書, &lt;@U1&gt;"
    assert "persona_closest" not in json.dumps(card)


def test_a_card_shared_to_a_channel_keeps_source_and_coverage_and_drops_internals():
    result = make_result(note="The language model timed out")
    private = " ".join(e["text"] for e in block(persona_card(result, ephemeral=True), "persona_footer")["elements"])
    shared = " ".join(e["text"] for e in block(persona_card(result, shared=True), "persona_footer")["elements"])
    assert "Model: gpt-4.1-mini" in private and "timed out" in private
    assert "Model" not in shared and "prompt" not in shared and "timed out" not in shared
    assert "Source: data" in shared and "coverage 100%" in shared
