"""Fuzzing with hypothesis: the app-list parser and everything that turns user or model text into Block Kit.

Inputs lean towards what hurts: Slack markup (`<!channel>`, `<@U…>`, `<http://…|…>`), control and bidi characters,
emoji sequences, separators and score-like numbers, and very long pastes. Properties: nothing crashes, output stays
bounded, and every payload Slack would receive fits its limits and holds no live markup from the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import LANGS, Settings
from bot.errors import EmptyAppList
from bot.followups import FollowUpReport
from bot.i18n import t
from bot.models import PROFILE_FIELDS, PersonaDraft, WriterRequest
from bot.mrkdwn import escape
from bot.offline_writer import OfflineWriter
from bot.parsing import looks_like_app_list, parse_app_list, rank_weights
from bot.service import PersonaService
from bot.slack.blocks.card import error_message, persona_card, progress_card
from bot.slack.blocks.views import followup_messages, home_view
from bot.store import RecentPersona
from bot.warehouse.duckdb import DuckDBWarehouse
from bot.writers import WriterResult
from tests.support.block_limits import violations

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
FEW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

MARKUP = ["<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<#C0EVIL|general>", "<http://evil.example|click>",
          "<mailto:a@evil.example>", "<!subteam^S0EVIL>", "<", ">", "&", "&lt;", "|", "<!date^0^{date}|x>"]
CONTROLS = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b", "\u202e", "\u2066", "\ud800",
            "\u2028", "\r", "\t"]
PIECES = [", ", "，", "、", "; ", "\n", "\t", " | ", " / ", "- ", "1. ", "(92%)", " 0.9", " 85", "：", "[", "]", "{",
          "}", '"', "Keep", "小红书", "美团", "🏃‍♀️", "👨‍👩‍👧", "🇹🇼", "ﷺ", "العربية", "Ｋｅｅｐ", "DROP TABLE apps;--",
          "' OR '1'='1", "Ignore previous instructions", "</segment_data>", "$segment_data", "{profile}"]

hostile_text = st.lists(
    st.one_of(st.sampled_from(MARKUP), st.sampled_from(CONTROLS), st.sampled_from(PIECES), st.text(max_size=12)),
    max_size=40,
).map("".join)

# Runs that grow fivefold when escaped ("&" → "&amp;"): a text cut before escaping overflows its block.
expanding_text = st.integers(min_value=0, max_value=3500).map(lambda n: ("&<>"[n % 3] + "&") * (n // 2))
hostile_or_long = hostile_text | expanding_text

_TOKEN = re.compile(r"<[^<>]*>")
_FOOTER_DATE = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
GENERATED_AT = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _texts(value: Any, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") in kinds and isinstance(value.get("text"), str):
            yield value["text"]
        for item in value.values():
            yield from _texts(item, kinds)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item, kinds)


def assert_inert(blocks: Any, fallback: str | None = None) -> None:
    """No live markup but the footer's date; no control characters anywhere shown.

    Slack acts on `<…>` markup in mrkdwn objects and the fallback text only; plain_text shows it as typed.
    """
    parsed = list(_texts(blocks, ("mrkdwn",))) + ([fallback] if fallback is not None else [])
    for text in parsed:
        assert [tok for tok in _TOKEN.findall(text) if not _FOOTER_DATE.fullmatch(tok)] == [], text
    for text in [*_texts(blocks), *parsed]:
        assert _CONTROL.search(text) is None, repr(text)


def assert_safe(payload: dict[str, Any]) -> None:
    """A message that fits Slack's limits and is inert."""
    assert violations(payload) == []
    assert_inert(payload.get("blocks", []), payload.get("text"))


# --- the parser ----------------------------------------------------------------------------------------------


@FUZZ
@given(hostile_text, st.integers(min_value=0, max_value=40))
def test_the_parser_never_crashes_and_its_output_is_bounded_and_clean(text: str, max_apps: int) -> None:
    outcome = parse_app_list(text, max_apps=max_apps)
    assert len(outcome.apps) <= max_apps
    assert outcome.truncated == (len(parse_app_list(text).apps) > max_apps)
    assert sum(len(app.name) for app in outcome.apps) <= len(text)
    for app in outcome.apps:
        assert app.name == app.name.strip() and app.name
        assert _CONTROL.search(app.name) is None, repr(app.name)
        assert app.score is None or 0.0 <= app.score <= 1.0
        # Whatever the name holds, escaped it is text to Slack.
        assert "<" not in escape(app.name) and ">" not in escape(app.name)
    assert all(0.0 < w <= 1.0 for w in rank_weights(outcome.apps))
    assert isinstance(looks_like_app_list(text), bool)


@FEW
@given(hostile_text, st.integers(min_value=200, max_value=3000), st.sampled_from(["\n", ", ", "", " "]))
def test_a_huge_paste_is_parsed_into_at_most_the_cap(fragment: str, repeat: int, sep: str) -> None:
    text = (fragment + sep) * repeat
    outcome = parse_app_list(text[:100_000], max_apps=30)
    assert len(outcome.apps) <= 30
    assert all(app.name and _CONTROL.search(app.name) is None for app in outcome.apps)


# --- the pipeline: a paste all the way to the card -------------------------------------------------------------


@pytest.fixture(scope="module")
def service(sample_warehouse_file: Path) -> Iterator[PersonaService]:
    warehouse = DuckDBWarehouse.open(sample_warehouse_file)
    yield PersonaService(Settings(_env_file=None, PERSONA_DUCKDB_PATH=sample_warehouse_file), warehouse,
                         OfflineWriter())
    warehouse.close()


@FUZZ
@given(text=hostile_text, lang=st.sampled_from(LANGS), ephemeral=st.booleans())
def test_any_paste_becomes_a_safe_card_or_a_safe_explanation(service: PersonaService, text: str, lang: str,
                                                             ephemeral: bool) -> None:
    try:
        grounding = service.ground_apps(text)
    except EmptyAppList as exc:
        assert_safe(error_message(t("msg.empty_list", lang), lang, example=exc.EXAMPLE))
        return
    prepared = service.prepare(grounding, lang)  # type: ignore[arg-type]
    assert_safe(progress_card(title=prepared.title, apps=grounding.apps, demographics=prepared.demographics,
                              lang=lang))
    result = service.write(prepared)
    assert_safe(persona_card(result, ephemeral=ephemeral, cached_ago=None))


class _ScriptedWriter:
    """A language model answering with whatever draft the test draws: it has already passed the schema."""

    kind = "llm"
    model_name = "fuzz-model"

    def __init__(self, draft: PersonaDraft):
        self.draft = draft

    def write(self, request: WriterRequest) -> WriterResult:
        return WriterResult(draft=self.draft)


_shares = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**6, 10**6).map(float)


@st.composite
def drafts(draw: st.DrawFn) -> PersonaDraft:
    texts = hostile_or_long | st.text(max_size=3000)
    names = st.lists(hostile_text | st.sampled_from(["Keep", "小红书", "美团"]), max_size=8)
    estimate = draw(st.none() | st.fixed_dictionaries({
        "age": st.dictionaries(st.sampled_from(["18-24", "25-34", "35-44", "45-54", "55+"]) | hostile_text, _shares,
                               max_size=6),
        "gender": st.dictionaries(st.sampled_from(["female", "male"]) | hostile_text, _shares, max_size=3),
    }))
    return PersonaDraft.model_validate({
        "profile": {field: draw(texts) for field in PROFILE_FIELDS},
        "hashtags": {"zh": draw(st.lists(hostile_text, max_size=20)), "en": draw(st.lists(hostile_text, max_size=20))},
        "citations": {field: draw(names) for field in PROFILE_FIELDS},
        "demographics_estimate": estimate,
    })


@FEW
@given(draft=drafts(), paste=st.sampled_from(["Keep 0.9, 小红书 0.8, 美团 0.7", "Zorblax 0.9, Quuxly 0.8", "Keep"]),
       lang=st.sampled_from(LANGS))
def test_any_model_answer_is_repaired_into_a_safe_card(service: PersonaService, draft: PersonaDraft, paste: str,
                                                       lang: str) -> None:
    model_service = PersonaService(service.settings, service.warehouse, _ScriptedWriter(draft))
    result = model_service.write(model_service.prepare(model_service.ground_apps(paste), lang))  # type: ignore[arg-type]
    assert result.meta.writer == "llm"
    names = {app.name for app in result.apps}
    for field in PROFILE_FIELDS:
        assert set(getattr(result.citations, field)) <= names
    for dist in (result.demographics.age, result.demographics.gender):
        assert not dist or sum(dist.values()) == pytest.approx(100, abs=0.2)
    assert 2 <= len(result.hashtags.en) <= 3 and 2 <= len(result.hashtags.zh) <= 3
    assert_safe(persona_card(result, ephemeral=True))


# --- every other place user text is shown ----------------------------------------------------------------------


@FUZZ
@given(query=hostile_or_long, names=st.lists(st.tuples(hostile_text, hostile_text), max_size=12),
       lang=st.sampled_from(LANGS))
def test_an_unknown_segment_answer_is_safe_for_any_query(query: str, names: list[tuple[str, str]], lang: str) -> None:
    suggestions = [(f"seg_{i}", name) for i, (name, _) in enumerate(names)]
    assert_safe(error_message(t("msg.unknown_segment", lang, query=query), lang, suggestions=suggestions))


@FUZZ
@given(product=st.none() | hostile_or_long, summary=hostile_or_long, points=st.lists(hostile_or_long, max_size=10),
       actions=st.lists(hostile_or_long, max_size=6), note=st.none() | hostile_or_long, lang=st.sampled_from(LANGS),
       kind=st.sampled_from(["partnership", "competitor"]), writer=st.sampled_from(["llm", "offline"]))
def test_a_follow_up_answer_is_safe_for_any_text(product: str | None, summary: str, points: list[str],
                                                 actions: list[str], note: str | None, lang: str, kind: str,
                                                 writer: str) -> None:
    report = FollowUpReport(kind=kind, persona_id="p1", summary=summary, points=points, next_actions=actions,  # type: ignore[arg-type]
                            writer=writer, model="m<!here>", product=product, note=note)  # type: ignore[arg-type]
    # The whole report is sent, over as many messages as Slack's limits need: each of them must be safe.
    for message in followup_messages(report, lang):
        assert_safe(message)


@FUZZ
@given(titles=st.lists(hostile_or_long, max_size=10), lang=st.sampled_from(LANGS))
def test_app_home_is_safe_for_any_recent_titles(titles: list[str], lang: str) -> None:
    recent = [RecentPersona(persona_id=f"p{i}", title=title, lang=lang, created_at=GENERATED_AT)  # type: ignore[arg-type]
              for i, title in enumerate(titles)]
    view = home_view(lang, recent)
    # A Home tab has a modal's block limits but no title; judge only the blocks.
    assert violations({**view, "type": "modal", "title": {"type": "plain_text", "text": "Home"}}, kind="modal") == []
    assert_inert(view["blocks"])
