"""Competitor analysis and partnership ideas on the sample data: real rivals by market and affinity, partners by
index, the whole report reaching Slack, and next steps that belong to one audience."""

from __future__ import annotations

import re

import pytest

from bot.config import LANGS, Settings
from bot.followups import FollowUpReport, FollowUpService, get_kind
from bot.followups.kind import FollowUpAsk
from bot.followups.partnership import partners
from bot.followups.rivals import audience_market, category_named_in, place_product, rivals
from bot.i18n import t
from bot.lexicon import load_lexicon
from bot.localized import market_name
from bot.models import PersonaResult
from bot.service import PersonaService
from bot.slack.blocks.views import MAX_BLOCKS, followup_messages, product_modal
from bot.store import PersonaRequest
from tests.support.block_limits import violations

MAINLAND_DELIVERY = {"美团", "美团外卖", "饿了么"}


@pytest.fixture(scope="module")
def personas(sample_warehouse_file) -> dict[tuple[str, str], PersonaResult]:
    """Every sample segment's offline persona, made on demand and kept for the module."""
    return {}


@pytest.fixture
def service(settings: Settings) -> PersonaService:
    return PersonaService.from_settings(settings)


def persona(service: PersonaService, cache: dict[tuple[str, str], PersonaResult], segment: str,
            lang: str = "en") -> PersonaResult:
    if (segment, lang) not in cache:
        cache[segment, lang] = service.run(PersonaRequest(kind="segment", query=segment, lang=lang))
    return cache[segment, lang]


def test_foodpanda_in_taipei_competes_with_uber_eats_and_no_mainland_app(service, personas) -> None:
    result = persona(service, personas, "seg_020")
    catalog = service.warehouse.catalog()
    placement = place_product("foodpanda", result, catalog)
    assert placement.placed_by == "catalog" and placement.category == "food_delivery"
    assert audience_market(result, catalog) == "TW"
    found = rivals(placement, result, catalog, market="TW")
    names = [r.app.name for r in found]
    assert "Uber Eats" in names
    assert not MAINLAND_DELIVERY & set(names)
    # A chain selling through its own app is a partner of the delivery platforms, not one of them.
    assert not {"麥當勞", "Starbucks"} & set(names)
    assert "foodpanda" not in names
    # Listed rivals come first, by index then confidence, each with its figures.
    listed = [r for r in found if r.listed is not None]
    assert found[: len(listed)] == listed
    indexes = [r.listed.index for r in listed]
    assert indexes == sorted(indexes, reverse=True)
    uber = next(r for r in found if r.app.name == "Uber Eats")
    assert uber.listed is not None and uber.rank is not None and uber.listed.index is not None


def test_a_mainland_delivery_audience_gets_mainland_rivals(service, personas) -> None:
    result = service.run(PersonaRequest(kind="apps", query="美团 0.9, 饿了么 0.8, 微信 0.7, 淘宝 0.6", lang="zh-CN"))
    catalog = service.warehouse.catalog()
    assert audience_market(result, catalog) == "CN"
    names = {r.app.name for r in rivals(place_product("饿了么", result, catalog), result, catalog, market="CN")}
    assert "美团" in names and "Uber Eats" not in names and "foodpanda" not in names


def test_a_product_outside_the_catalog_is_placed_by_the_category_it_names() -> None:
    assert category_named_in("our new food delivery app") == "food_delivery"
    assert category_named_in("一款外送平台") == "food_delivery"
    assert category_named_in("Acme") is None


@pytest.mark.parametrize("lang", LANGS)
def test_the_competitor_report_names_rivals_with_figures_and_audience_steps(service, personas, lang: str) -> None:
    result = persona(service, personas, "seg_020", lang)
    report = FollowUpService.beside(service).write("competitor", result, "foodpanda")
    text = "\n".join([report.summary, *report.points, *report.next_actions])
    assert "Uber Eats" in text and not any(name in text for name in MAINLAND_DELIVERY)
    uber_line = next(p for p in report.points if "Uber Eats" in p)
    uber = next(a for a in result.apps if a.name == "Uber Eats")
    assert f"{uber.score:g}" in uber_line and f"{uber.index / 100:.1f}" in uber_line
    # The index is against the people of the audience's market, and the line says which market.
    assert t("index.baseline.market", lang, market=market_name("TW", lang)) in uber_line
    everyone = result.model_copy(update={"segment": result.segment.model_copy(update={"market": None})})
    assert FollowUpAsk(get_kind("competitor"), everyone).baseline == t("index.baseline.all", lang)
    assert report.next_actions, "next steps reach the Next actions part of the answer"
    audience = result.segment.localized_name(lang)
    assert all(audience in step for step in report.next_actions)
    # foodpanda trails Uber Eats on their list: the next step says so, with both ranks, never "beside" it.
    own_rank = next(i for i, a in enumerate(result.apps, 1) if a.name == "foodpanda")
    assert own_rank > uber_rank(result)
    defend = report.next_actions[0]
    assert str(own_rank) in defend and str(uber_rank(result)) in defend and "Uber Eats" in defend
    # Why they use a delivery app and what worries them about it: the delivery category's words.
    delivery = load_lexicon().words("food_delivery", lang)
    assert delivery.worry in text and delivery.motivation in text
    # The market by its name in the reader's language, never by its code.
    assert market_name("TW", lang) in report.summary and "(TW)" not in text and "（TW）" not in text


def uber_rank(result: PersonaResult) -> int:
    return next(i for i, a in enumerate(result.apps, 1) if a.name == "Uber Eats")


def test_the_whole_report_reaches_slack_uncut() -> None:
    points = [f"Point {i}: " + "detail " * 60 for i in range(40)] + ["x" * 7000]
    report = FollowUpReport(kind="competitor", persona_id="p", summary="Summary " * 500, points=points,
                            next_actions=[f"Step {i} " + "y " * 100 for i in range(12)], product="foodpanda")
    messages = followup_messages(report, "en")
    shown = "".join(block["text"]["text"] for m in messages for block in m["blocks"] if block["type"] == "section")
    flat = re.sub(r"\s+", "", shown)
    for text in [report.summary, *report.points, *report.next_actions]:
        assert re.sub(r"\s+", "", text) in flat
    for message in messages:
        assert len(message["blocks"]) <= MAX_BLOCKS
        assert violations(message) == []


def test_a_long_llm_report_is_split_over_messages_not_cut() -> None:
    points = [f"Point {i} " + "z" * 2800 for i in range(60)]
    report = FollowUpReport(kind="competitor", persona_id="p", summary="s", points=points)
    messages = followup_messages(report, "en")
    assert len(messages) > 1
    assert all(violations(message) == [] for message in messages)
    # The footer and the feedback buttons close the last message, together; no other message has them.
    assert [b["type"] for b in messages[-1]["blocks"][-2:]] == ["context", "context_actions"]
    assert all(b["type"] == "section" for m in messages[:-1] for b in m["blocks"])
    shown = "".join(b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section")
    assert all(f"Point {i} " in shown for i in range(60))


def test_partnership_asks_for_an_optional_product() -> None:
    kind = get_kind("partnership")
    assert kind.asks_for_product and kind.product_optional
    for lang in LANGS:
        modal = product_modal(kind, lang, private_metadata="{}")
        block = modal["blocks"][0]
        assert block["optional"] is True and block["hint"]["text"]
    assert "optional" not in product_modal(get_kind("competitor"), "en", private_metadata="{}")["blocks"][0]


def test_partners_over_index_in_the_market_with_a_format_and_a_step_each(service, personas) -> None:
    result = persona(service, personas, "seg_001")
    followups = FollowUpService.beside(service)
    ask = FollowUpAsk(get_kind("partnership"), result, "a protein drink brand", followups._read_catalog)
    chosen = partners(ask)
    assert chosen and all(a.index is not None and a.index >= 110 for a in chosen)
    report = followups.write("partnership", result, "a protein drink brand")
    for app in chosen:
        line = next(p for p in report.points if p.startswith(app.name))
        assert f"{app.index / 100:.1f}×" in line
        assert any(step.startswith(app.name) for step in report.next_actions)
    assert "a protein drink brand" in report.summary and "(Taiwan)" in report.summary
    # Blank product: written for any client, not for "?".
    blank = followups.write("partnership", result, "  ")
    assert blank.product is None and "?" not in blank.summary


def test_no_two_segments_get_the_same_next_steps(service, personas) -> None:
    followups = FollowUpService.beside(service)
    seen: dict[str, str] = {}
    for segment in service.segments():
        result = persona(service, personas, segment.id)
        report = followups.write("partnership", result)
        steps = "\n".join(report.next_actions)
        assert steps, segment.id
        assert steps not in seen, f"{segment.id} repeats the next steps of {seen.get(steps)}"
        seen[steps] = segment.id
