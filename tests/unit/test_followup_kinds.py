"""Follow-up kinds are data: the registry is complete, everything reads it, and an unknown kind fails loudly."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import LANGS, Settings
from bot.followups import FollowUpReport, FollowUpService, UnknownFollowUpKind, get_kind, kinds
from bot.followups.kind import REQUIRED_STRINGS, FollowUpKind
from bot.followups.registry import action_pattern, problems, product_modal_pattern
from bot.i18n import t
from bot.models import Citations, Demographics, GroundingApp, Hashtags, Meta, PersonaResult, Profile, SegmentInfo
from bot.prompt_echo import echoes_prompt
from bot.slack.blocks.card import persona_card
from bot.slack.blocks.views import followup_message, product_modal
from bot.slack.flows.followups import FollowUpFlows
from bot.store import MemoryStore
from prompts import load_template


def result(lang: str = "en") -> PersonaResult:
    return PersonaResult(
        id="p_kinds",
        segment=SegmentInfo(id="fit", name="Fitness fans", description="", size=10),
        apps=[
            GroundingApp(name="Keep", app_id="keep", score=0.9, category="fitness", weight=0.6, has_audience=True),
            GroundingApp(name="小红书", app_id="xhs", score=0.7, category="social", weight=0.4, has_audience=True),
        ],
        profile=Profile(basic_attributes="a", personality="b", psychological_state="c", interests="d",
                        lifestyle="e"),
        hashtags=Hashtags(zh=["#健身"], en=["#fitness"]),
        citations=Citations(),
        demographics=Demographics(age={"25-34": 60.0}, gender={"female": 55.0, "male": 45.0}, source="data",
                                  coverage=1.0),
        meta=Meta(model="offline-writer", prompt_version="v", generated_at=datetime(2024, 5, 1, tzinfo=UTC),
                  writer="offline", lang=lang),  # type: ignore[arg-type]
    )


class NoCatalog:
    def catalog(self) -> list[Any]:
        return []


# --- the registry is complete ------------------------------------------------------------------------------------


def test_the_registry_has_no_problems() -> None:
    assert problems(kinds()) == []
    assert {"partnership", "competitor"} <= {kind.id for kind in kinds()}


@pytest.mark.parametrize("kind", kinds(), ids=lambda k: k.id)
def test_every_kind_has_its_strings_template_and_composer(kind: FollowUpKind) -> None:
    for lang in LANGS:
        strings = kind.strings_in(lang)
        assert set(REQUIRED_STRINGS) <= strings.keys(), lang
        assert strings.keys() == kind.strings_in(LANGS[0]).keys(), lang
    assert load_template(kind.template).strip()
    for lang in LANGS:
        report = FollowUpService(Settings(_env_file=None), NoCatalog()).write(kind.id, result(lang), "Acme")  # type: ignore[arg-type]
        assert report.kind == kind.id and report.summary and report.points, lang
        assert report.product == ("Acme" if kind.asks_for_product else None)


def broken(**changes: Any) -> FollowUpKind:
    return dataclasses.replace(get_kind("partnership"), **changes)


@pytest.mark.parametrize(
    ("kind", "complaint"),
    [
        (broken(strings={lang: {"button": "B", "title": "T"} for lang in LANGS[:-1]}), f"{LANGS[-1]} strings differ"),
        (broken(strings={lang: {"title": "T"} for lang in LANGS}), "no 'button' string"),
        (broken(strings={lang: {"button": "B", "title": "{n} T" if lang == LANGS[0] else "T"} for lang in LANGS}),
         "other placeholders"),
        (broken(strings={lang: {"button": " ", "title": "T"} for lang in LANGS}), "'button' is empty"),
        (broken(template="no_such.v1.txt"), "no prompt template named"),
        (broken(id="share"), "lower_snake_case and not one of"),
        (broken(id="Bad-Id"), "lower_snake_case and not one of"),
    ],
)
def test_an_incomplete_kind_is_refused(kind: FollowUpKind, complaint: str) -> None:
    found = problems([kind])
    assert any(complaint in problem for problem in found), found


def test_a_kind_registered_twice_is_refused() -> None:
    assert any("registered twice" in p for p in problems([get_kind("partnership"), get_kind("partnership")]))


# --- an unknown kind fails loudly ----------------------------------------------------------------------------------


def test_an_unknown_kind_is_an_error_everywhere() -> None:
    with pytest.raises(UnknownFollowUpKind, match="'no_such_kind'"):
        get_kind("no_such_kind")
    with pytest.raises(UnknownFollowUpKind):
        FollowUpService(Settings(_env_file=None), NoCatalog()).write("no_such_kind", result())  # type: ignore[arg-type]
    with pytest.raises(UnknownFollowUpKind):
        followup_message(FollowUpReport(kind="no_such_kind", persona_id="p", summary="s"), "en")


class RecordingClient:
    def __init__(self) -> None:
        self.ephemeral: list[dict[str, Any]] = []

    def chat_postEphemeral(self, **params: Any) -> None:
        self.ephemeral.append(params)


class MustNotWrite:
    def write(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("an unknown kind must not be written as any other kind")


@pytest.mark.parametrize("lang", LANGS)
def test_a_click_on_an_unknown_kind_gets_a_friendly_notice_and_a_log_line(
    lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    store.set_lang("U1", lang)  # type: ignore[arg-type]
    flows = FollowUpFlows(Settings(_env_file=None), None, store, MustNotWrite())  # type: ignore[arg-type]
    client = RecordingClient()
    with caplog.at_level(logging.WARNING):
        flows.followup_clicked(client, action_id="persona_no_such_kind", trigger_id="t", persona_id="p",  # type: ignore[arg-type]
                               user_id="U1", where={"channel": "C1"})
        flows.followup_from_modal(client, callback_id="no_such_kind_modal", user_id="U1", product="Acme",  # type: ignore[arg-type]
                                  private_metadata='{"persona_id": "p", "where": {"channel": "C1"}}')
    assert [m["text"] for m in client.ephemeral] == [t("msg.unknown_followup", lang)] * 2
    assert [r.getMessage() for r in caplog.records].count("followup_unknown_kind") == 2


# --- everything reads the registry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_card_offers_one_button_per_kind_in_registry_order(lang: str) -> None:
    card = persona_card(result(lang))
    row = next(b for b in card["blocks"] if b.get("block_id") == "persona_actions")["elements"]
    assert [(e["action_id"], e["text"]["text"]) for e in row[: len(kinds())]] == [
        (kind.action_id, kind.text("button", lang)) for kind in kinds()
    ]


def test_the_listener_patterns_match_exactly_the_registered_kinds() -> None:
    actions, modals = action_pattern(), product_modal_pattern()
    for kind in kinds():
        assert (m := actions.match(kind.action_id)) and m.group(1) == kind.id
        modal = modals.match(kind.modal_callback_id)
        assert (modal is not None) == kind.asks_for_product
        if modal:
            assert modal.group(1) == kind.id
    for other in ("persona_share", "persona_regenerate", "persona_export", "persona_no_such_kind", "persona_modal"):
        assert not actions.match(other) and not modals.match(other)


def test_the_product_modal_is_titled_and_identified_by_its_kind() -> None:
    for kind in kinds():
        view = product_modal(kind, "zh-TW", private_metadata="{}")
        assert view["callback_id"] == kind.modal_callback_id
        assert view["title"]["text"] == kind.text("button", "zh-TW")


@pytest.mark.parametrize("kind", kinds(), ids=lambda k: k.id)
def test_the_prompt_echo_guard_covers_every_kinds_template(kind: FollowUpKind) -> None:
    # The longest line of the template, which holds no placeholder in any of today's templates.
    line = max((line for line in load_template(kind.template).splitlines() if "$" not in line), key=len)
    assert echoes_prompt(f"Sure! {line}")
