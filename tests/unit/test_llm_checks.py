"""The checks on what a model writes: figures, language, emptiness and echoes, alone and through the real SDK."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.figure_check import Figures, figures_in, grounding_figures, unsupported_figures, without_unsupported_figures
from bot.followups import FollowUpService
from bot.models import PersonaDraft, PersonaResult
from bot.output_checks import check_followup, check_persona, in_language
from bot.prompting import example_pair, extract_segment_data, render_persona_messages
from bot.service import PersonaService
from bot.slack.blocks.views import followup_messages
from bot.store import PersonaRequest
from prompts import load_template
from tests.support.block_limits import violations
from tests.support.openai_server import FakeOpenAIServer, Reply, default_persona

SEGMENT = "seg_001"  # Fitness enthusiasts in Taipei


@pytest.fixture
def server(llm: FakeOpenAIServer) -> FakeOpenAIServer:
    return llm


@pytest.fixture
def service(model_service: PersonaService) -> PersonaService:
    return model_service


def example_output() -> dict[str, Any]:
    return example_pair()[1].model_dump(mode="json")


def persona_in(lang: str, service: PersonaService) -> dict[str, Any]:
    """A valid reply for the segment in `lang`, as the test server would write it."""
    request = service.prepare(service.ground_segment(service.find_segment(SEGMENT)), lang).request
    return default_persona({"messages": render_persona_messages(request)})


# --- figures ----------------------------------------------------------------------------------------------------


def test_the_examples_figures_are_caught_against_the_segments_own(service: PersonaService) -> None:
    prepared = service.prepare(service.ground_segment(service.find_segment(SEGMENT)))
    figures = grounding_figures(prepared.grounding, prepared.demographics)
    women, men = prepared.demographics.gender["female"], prepared.demographics.gender["male"]
    # The example's figures are not this segment's (were they ever equal, the test would say nothing).
    assert abs(women - 57.3) > 1 and abs(men - 42.7) > 1
    assert unsupported_figures("women lead slightly at 57.3% against 42.7% men", figures) == ["57.3%", "42.7%"]
    # The segment's own figures, rounded as people round them, pass; so do sums of neighbouring age buckets.
    age = prepared.demographics.age
    adults = age["25-34"] + age["35-44"]
    assert unsupported_figures(f"{women:.0f}% women and {men:.1f}% men; {adults:.1f}% are 25–44", figures) == []
    size = prepared.grounding.segment.size if prepared.grounding.segment else None
    assert size is not None and size >= 10_000
    assert unsupported_figures(f"about {size:,} people ({size / 10_000:g}万)", figures) == []
    assert unsupported_figures(f"some {size * 2:,} people", figures) == [f"{size * 2:,}"]
    # App scores as decimals or percentages.
    score = prepared.grounding.apps[0].score
    assert score is not None
    assert unsupported_figures(f"World Gym leads at {score:.2f} ({score * 100:.0f}%)", figures) == []


@pytest.mark.parametrize(
    "text", ["They train 3 times a week", "aged 25 to 34", "since 2020", "5G phones and 4K screens", "58同城 users"]
)
def test_numbers_that_are_not_figures_are_left_alone(text: str) -> None:
    assert unsupported_figures(text, Figures(), quoted=["58同城"]) == []


def test_figures_remember_how_they_were_rounded() -> None:
    [whole, precise] = figures_in("57% then 57.3%")
    assert (whole.tolerance, precise.tolerance) == (0.5, 0.05)


# --- the checks, directly -------------------------------------------------------------------------------------


def test_the_few_shot_example_copied_into_a_persona_is_caught(service: PersonaService) -> None:
    request = service.prepare(service.ground_segment(service.find_segment(SEGMENT))).request
    problems = check_persona(PersonaDraft.model_validate(example_output()), request)
    codes = {p.code for p in problems}
    assert {"example_echo", "unsupported_figure"} <= codes
    assert all("57.3" not in p.reason for p in problems)  # reasons name fields, never the text


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Disciplined runners who track every workout.", "en", True),
        ("Disciplined runners who track every workout.", "zh-TW", False),
        ("重視紀律的跑者，每次訓練都用 Nike Run Club 記錄。", "zh-TW", True),
        ("注重纪律的跑者。", "en", False),
        ("Strava、Keep", "zh-CN", True),  # names only: nothing to judge
    ],
)
def test_language_is_judged_by_script_apart_from_quoted_names(text: str, lang: str, expected: bool) -> None:
    assert in_language(text, lang, quoted=["Nike Run Club", "Strava", "Keep"]) is expected


@pytest.mark.parametrize(
    ("draft", "codes"),
    [
        ({"summary": "][", "points": [","], "next_actions": []}, {"empty_field", "empty_list"}),
        ({"summary": "Partner with gyms.", "points": [], "next_actions": []}, {"empty_list"}),
        ({"summary": "與健身房合作。", "points": ["在 Keep 上舉辦跑步挑戰"], "next_actions": ["聯絡 Keep"]},
         {"wrong_language"}),
        ({"summary": "Partner with gyms.", "points": ["Run a challenge on Keep"], "next_actions": ["Call Keep"]},
         set()),
    ],
)
def test_follow_up_checks(draft: dict[str, Any], codes: set[str]) -> None:
    class Draft:
        summary = draft["summary"]
        points = draft["points"]
        next_actions = draft["next_actions"]

    assert {p.code for p in check_followup(Draft(), "en", ["Keep"])} == codes


# --- through the writer and the service -------------------------------------------------------------------------


def test_an_english_reply_to_a_zh_tw_request_is_repaired(service: PersonaService, server: FakeOpenAIServer) -> None:
    server.enqueue(Reply.json(persona_in("en", service)), Reply.default())
    result = service.run(PersonaRequest(kind="segment", query=SEGMENT, lang="zh-TW"))
    assert result.meta.writer == "llm" and server.calls == 2
    assert "not in Chinese (zh-TW) as asked" in server.requests[1].last_user_message
    assert "圍繞" in result.profile.interests


def test_a_wrong_language_twice_gives_the_offline_card_with_the_reason(
    service: PersonaService, server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.llm")
    english = Reply.json(persona_in("en", service))
    server.enqueue(english, english)
    result = service.run(PersonaRequest(kind="segment", query=SEGMENT, lang="zh-TW"))
    assert result.meta.writer == "offline"
    # Said in the card's language (the log line below keeps the check's code).
    assert result.meta.note == "語言模型的回答無法使用（語言不對），重試後仍是如此。"
    [fault] = [r for r in caplog.records if r.getMessage() == "llm_fault"]
    assert fault.fault == "unusable" and fault.checks == ["wrong_language"]


def test_copied_example_figures_never_reach_the_card(service: PersonaService, server: FakeOpenAIServer) -> None:
    copied = example_output()
    copied["citations"] = {field: ["Strava"] for field in copied["citations"]}
    server.enqueue(Reply.json(copied), Reply.json(copied))
    request = PersonaRequest(kind="segment", query=SEGMENT, lang="en")
    prepared = service.prepare(service.ground(request))
    data = prepared.demographics
    allowed = grounding_figures(prepared.grounding, data)
    foreign = unsupported_figures(" ".join(copied["profile"].values()), allowed)
    assert foreign, "the example holds figures this segment does not"
    result = service.run(request)
    # One repair, then what is still copied goes: echoing fields become the offline writer's, figures are removed.
    assert server.calls == 2
    prose = json.dumps(result.profile.model_dump(), ensure_ascii=False)
    assert unsupported_figures(prose, allowed) == []
    # The card's figures are the data's.
    prepared = service.prepare(service.ground_segment(service.find_segment(SEGMENT)))
    assert result.demographics == prepared.demographics and result.demographics.source != "ai_estimate"
    repair = server.requests[1].last_user_message
    assert "figures that are not in the data" in repair and "copy the worked example" in repair


def test_an_echo_the_repair_cannot_fix_costs_only_the_echoing_field(
    service: PersonaService, server: FakeOpenAIServer
) -> None:
    echoing = persona_in("en", service)
    echoing["profile"]["personality"] = "Sure! My instructions say: " + load_template("persona_system.v2.txt")[:400]
    server.enqueue(Reply.json(echoing), Reply.text("not json"))
    result = service.run(PersonaRequest(kind="segment", query=SEGMENT, lang="en"))
    assert result.meta.writer == "llm" and server.calls == 2
    assert result.profile.interests == echoing["profile"]["interests"]
    assert result.profile.personality != echoing["profile"]["personality"]


def _persona(service: PersonaService, lang: str = "en") -> PersonaResult:
    result = service.run(PersonaRequest(kind="segment", query=SEGMENT, lang=lang))
    assert result.meta.writer == "llm"
    return result


@pytest.mark.parametrize(
    "reply",
    [
        {"summary": "][", "points": ["]["], "next_actions": [","]},
        {"summary": ",", "points": [], "next_actions": []},
    ],
)
def test_empty_follow_ups_are_not_shown_as_the_models(
    service: PersonaService, server: FakeOpenAIServer, reply: dict[str, Any]
) -> None:
    persona = _persona(service)
    server.reset()
    server.enqueue(Reply.json(reply), Reply.json(reply))
    report = FollowUpService(service.settings, service.warehouse, service.writer).write("partnership", persona)
    assert server.calls == 2
    assert report.writer == "offline" and report.note is not None and "unusable" in report.note
    assert report.summary and report.points  # the offline ideas


def test_a_follow_up_in_the_wrong_language_is_repaired(service: PersonaService, server: FakeOpenAIServer) -> None:
    persona = _persona(service, "zh-TW")
    server.reset()
    english = {"summary": "Partner with gyms.", "points": ["Run a challenge on Keep"], "next_actions": ["Call Keep"]}
    chinese = {"summary": "與健身房合作。", "points": ["在 Keep 上舉辦跑步挑戰"],
               "next_actions": ["聯絡 Keep 的合作窗口"]}
    server.enqueue(Reply.json(english), Reply.json(chinese))
    report = FollowUpService(service.settings, service.warehouse, service.writer).write("partnership", persona)
    assert report.writer == "llm" and report.summary == "與健身房合作。" and server.calls == 2


def test_a_figure_still_invented_after_the_repair_is_removed_and_counted(
    service: PersonaService, server: FakeOpenAIServer
) -> None:
    inventing = persona_in("en", service)
    inventing["profile"]["lifestyle"] = "About 13.37% of them order dinner in, and 1,234,567 run every weekend."
    server.enqueue(Reply.json(inventing), Reply.json(inventing))
    result = service.run(PersonaRequest(kind="segment", query=SEGMENT, lang="en"))
    assert result.meta.writer == "llm" and server.calls == 2
    assert "figures that are not in the data" in server.requests[1].last_user_message
    assert result.meta.removed_figures == 2
    assert "13.37" not in result.profile.lifestyle and "1,234,567" not in result.profile.lifestyle
    assert "order dinner in" in result.profile.lifestyle
    # The rest of the model's card is kept.
    assert result.profile.interests == inventing["profile"]["interests"]


def test_a_repair_that_drops_the_invented_figure_removes_nothing(
    service: PersonaService, server: FakeOpenAIServer
) -> None:
    inventing = persona_in("en", service)
    fixed = json.loads(json.dumps(inventing))
    inventing["profile"]["lifestyle"] = "About 13.37% of them order dinner in."
    fixed["profile"]["lifestyle"] = "Most of them order dinner in."
    server.enqueue(Reply.json(inventing), Reply.json(fixed))
    result = service.run(PersonaRequest(kind="segment", query=SEGMENT, lang="en"))
    assert result.meta.removed_figures == 0 and result.profile.lifestyle == "Most of them order dinner in."


def test_chinese_figures_next_to_ideographs_are_checked() -> None:
    figures = Figures(percents=frozenset({57.3}))
    assert unsupported_figures("女性佔63%，其中57.3%用Keep。", figures) == ["63%"]
    assert without_unsupported_figures("女性佔63%，其中（12.5%）為學生。", figures) == ("女性佔，其中為學生。", 2)


# --- the v2 persona prompt and the follow-ups on the LLM path ---------------------------------------------------

DELIVERY_TAIPEI = "seg_020"


def test_the_persona_prompt_grounds_the_model_in_market_index_and_labels(service, server) -> None:
    result = service.run(PersonaRequest(kind="segment", query=DELIVERY_TAIPEI, lang="zh-CN"))
    assert result.meta.writer == "llm" and result.meta.prompt_version == "persona-v2"
    message = server.requests[0].last_user_message
    data = extract_segment_data(message)
    assert data["segment"]["market"] == "台湾" and data["segment"]["name"] == "台北外卖族"
    uber = next(app for app in data["apps"] if app["name"] == "Uber Eats")
    assert uber["index"] > 100 and uber["category"] != "food_delivery"
    # A Taipei audience gets traditional-script hashtags even for a reader of simplified Chinese.
    assert "\nhashtag_zh_script: Traditional Chinese\n" in message
    assert data["demographics"]["source"] in {"measured", "data", "mixed", "ai_estimate"}


def test_a_competitor_outside_the_catalog_is_reasoned_about_with_catalog_rivals_and_kept_whole(
    service, server
) -> None:
    persona = service.run(PersonaRequest(kind="segment", query=DELIVERY_TAIPEI, lang="en"))
    server.reset()
    points = [f"Uber Eats wins on point {i}: it is on their list." for i in range(9)]
    actions = [f"Next step {i} for Food delivery regulars in Taipei: bundle with Starbucks." for i in range(5)]
    server.enqueue(Reply.json({"summary": "A new delivery app against Uber Eats and foodpanda.", "points": points,
                               "next_actions": actions}))
    report = FollowUpService.beside(service).write("competitor", persona, "FreshBox, our food delivery app")
    prompt = server.requests[0].last_user_message
    assert '"in_catalog": false' in prompt and '"category": "food_delivery"' in prompt
    assert '"market": "Taiwan"' in prompt
    assert "Uber Eats" in prompt and "饿了么" not in prompt and "美团" not in prompt
    assert report.writer == "llm" and report.points == points and report.next_actions == actions
    messages = followup_messages(report, "en")
    shown = json.dumps(messages, ensure_ascii=False)
    assert all(text in shown for text in [*points, *actions])
    assert all(violations(m) == [] for m in messages)


def test_a_follow_up_figure_still_invented_after_the_repair_is_removed_and_counted(service, server) -> None:
    persona = service.run(PersonaRequest(kind="segment", query=DELIVERY_TAIPEI, lang="en"))
    server.reset()
    inventing = {"summary": "Partner with Starbucks.", "points": ["Starbucks reaches 13.37% more of them."],
                 "next_actions": ["Pitch a bundle to Starbucks."]}
    server.enqueue(Reply.json(inventing), Reply.json(inventing))
    report = FollowUpService.beside(service).write("partnership", persona, "oat milk")
    assert server.calls == 2 and report.writer == "llm"
    assert report.removed_figures == 1 and "13.37" not in report.points[0]
    assert report.points[0].startswith("Starbucks reaches")
