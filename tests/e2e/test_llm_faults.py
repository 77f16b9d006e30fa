"""Language model faults as the salesperson meets them: through the real Slack app, with the real openai SDK
against the local OpenAI-compatible server scripted to misbehave.

One bot process serves the whole module; the fake server is reset before every test. Each test pastes its own
app list (different scores make a different cache key) and uses its own user and channel, so a persona cached or
still arriving from an earlier test can never answer for it. Whatever the fault, the user must get a persona card
Slack accepts: repaired from the model's answer, or the offline draft with a note saying why and a Retry button,
and the fault must be in the bot's log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.models import PROFILE_FIELDS
from tests.support.block_limits import violations
from tests.support.openai_server import FakeOpenAIServer, Reply, default_persona
from tests.support.slack_harness import (
    Harness,
    Seen,
    action_ids,
    assert_slack_accepts,
    blocks_of,
    is_card,
    llm_env,
    running_bot,
    wait_url,
)

API_KEY = "sk-faults-secret-0123456789"
LLM_TIMEOUT = 2.0
# Seconds to wait for a card: a fault and its retry come first.
WAIT = 30.0
MODEL = "gpt-4.1-mini"
# A reply slower than the timeout, but not so slow that stale server threads pile up.
SLOW = LLM_TIMEOUT + 2.0


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path,
        llm: FakeOpenAIServer) -> Iterator[Harness]:
    # One SDK retry: a single fault is absorbed, a persistent one reaches the user as an offline draft.
    env = llm_env(llm.url, API_KEY, PERSONA_LLM_MAX_RETRIES="1", PERSONA_LLM_TIMEOUT=str(LLM_TIMEOUT))
    with running_bot(tmp_path_factory.mktemp("llm-faults"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


@pytest.fixture
def seen(bot: Harness, llm: FakeOpenAIServer) -> Iterator[Seen]:
    llm.reset()
    llm.handler = None
    llm.latency = 0.0
    watch = Seen(bot)
    yield watch
    # Whatever happened, every message the bot sent fits Slack's limits, and nothing crashed.
    for call in bot.standin.calls[watch.calls_from:]:
        if call.method in ("response_url", "chat.postMessage", "chat.update") and not call.params.get(
            "delete_original"
        ):
            payload = {"text": call.params.get("text"), "blocks": blocks_of(call.params)}
            assert violations(payload) == [], call.method
    assert bot.standin.internal_errors == []
    assert "Traceback" not in watch.log()
    assert API_KEY not in bot.logs()


# --- reading what Slack received -----------------------------------------------------------------------------


def block(params: dict[str, Any], block_id: str) -> dict[str, Any]:
    found = [b for b in blocks_of(params) if b.get("block_id") == block_id]
    assert found, f"no block {block_id}"
    return found[0]


def footer(params: dict[str, Any]) -> str:
    return " · ".join(e["text"] for e in block(params, "persona_footer")["elements"])


def profile_text(params: dict[str, Any], field: str) -> str:
    return str(block(params, f"persona_field_{field}")["text"]["text"])


def ask(bot: Harness, text: str, *, user: str, channel: str) -> dict[str, Any]:
    """`/persona text`; returns the card as it sits in the stand-in's model (with its ts, for clicks)."""
    url = bot.standin.response_url(user, channel_id=channel, user_id=user)
    resp = bot.sender.slash_command(text, user_id=user, channel_id=channel, response_url=url)
    assert resp.status == 200 and resp.body == ""
    wait_url(bot, user, is_card, timeout=WAIT)
    cards = [m for m in bot.standin.messages(channel) if m["ephemeral_user"] == user and is_card(m)]
    assert len(cards) == 1
    return cards[0]


def click_retry(bot: Harness, card: dict[str, Any], *, user: str, channel: str) -> dict[str, Any]:
    """A click on Retry; returns the card that replaces the draft."""
    elements = [e for b in card["blocks"] for e in b.get("elements", [])]
    [value] = [e["value"] for e in elements if e.get("action_id") == "persona_retry"]
    name = f"{user}-retry"
    url = bot.standin.response_url(name, channel_id=channel, user_id=user, message_ts=card["ts"])
    resp = bot.sender.block_action("persona_retry", value, user_id=user, channel_id=channel, message=card,
                                   response_url=url)
    assert resp.status == 200
    return wait_url(bot, name, is_card, timeout=WAIT)


def assert_persona_card(card: dict[str, Any]) -> None:
    """A whole persona card: header, the five profile fields, the data part and the buttons."""
    assert_slack_accepts({"text": card["text"], "blocks": blocks_of(card)})
    # A pasted list is titled after its closest segment when one overlaps it enough.
    assert block(card, "persona_header")["text"]["text"].startswith(("Persona for", "Pasted apps, closest to "))
    for field in PROFILE_FIELDS:
        assert profile_text(card, field).split("*  ", 1)[1].strip() not in ("", "—")
    block(card, "persona_apps")
    block(card, "persona_demographics")
    assert "persona_partnership" in action_ids({"blocks": blocks_of(card)})
    # Salespeople never see an exception, whatever went wrong underneath.
    assert "Traceback" not in json.dumps(card) and "Error" not in json.dumps(card)


def assert_llm_card(card: dict[str, Any]) -> None:
    assert_persona_card(card)
    assert MODEL in footer(card) and "Offline draft" not in footer(card)
    assert "persona_retry" not in action_ids({"blocks": blocks_of(card)})


def assert_offline_card(card: dict[str, Any], note: str) -> None:
    assert_persona_card(card)
    assert "Offline draft" in footer(card)
    assert note in footer(card)
    assert "persona_retry" in action_ids({"blocks": blocks_of(card)})


def paste(n: int) -> str:
    """Known apps with scores unique to the test: the same data, a different cache key."""
    return f"小红书 0.{n:02d}, Keep 0.85, 美团 0.8"


# --- faults the model server never recovers from: the offline draft, then Retry ---------------------------------

# (fault, its two replies: the first try and the SDK's retry or the repair request, note, log events)
PERSISTENT = [
    pytest.param(
        [Reply.error(429, "slow down", type="rate_limit_error", headers={"Retry-After": "1"})] * 2,
        "busy (rate limited)", ["llm_http_error", "llm_fault", "llm_failed"], id="429-retry-after",
    ),
    pytest.param(
        [Reply.error(500, "boom", type="server_error", headers={"retry-after-ms": "10"})] * 2,
        "HTTP 500", ["llm_http_error", "llm_fault", "llm_failed"], id="500",
    ),
    pytest.param([Reply.reset(), Reply.reset()], "Could not reach", ["llm_fault", "llm_failed"], id="reset"),
    pytest.param([Reply.drop(), Reply.drop()], "Could not reach", ["llm_fault", "llm_failed"], id="dropped"),
    pytest.param(
        # One deadline per persona: the slow answer takes all of it, so no second call is started.
        [Reply.default(delay=SLOW)], f"did not answer within {LLM_TIMEOUT:g} s",
        ["llm_fault", "llm_failed"], id="slower-than-timeout",
    ),
    pytest.param(
        [Reply.text('{"profile": {"basic_attributes": "Mostly wom', finish_reason="length")] * 2,
        "unusable answer", ["llm_reply_unusable", "llm_fault", "llm_failed"], id="truncated-json",
    ),
    pytest.param(
        [Reply.json({"profile": "a string", "mood": "extra"}), Reply.json({"hashtags": [1, 2]})],
        "unusable answer", ["llm_reply_unusable", "llm_fault", "llm_failed"], id="schema-broken",
    ),
    pytest.param(
        [Reply.text("Sure! Here is a persona: they like apps."), Reply.text("")],
        "unusable answer", ["llm_reply_unusable", "llm_fault", "llm_failed"], id="prose-not-json",
    ),
]


@pytest.mark.parametrize(("replies", "note", "events"), PERSISTENT)
def test_a_persistent_fault_gives_the_offline_draft_with_a_note_and_retry_works_once_it_clears(
    bot: Harness, llm: FakeOpenAIServer, seen: Seen, request: pytest.FixtureRequest,
    replies: list[Reply], note: str, events: list[str],
) -> None:
    n = 10 + [p.id for p in PERSISTENT].index(request.node.callspec.id)
    user, channel = f"U0PF{n}", f"C0PF{n}"
    llm.enqueue(*replies)
    card = ask(bot, paste(n), user=user, channel=channel)
    assert_offline_card(card, note)
    assert llm.calls == len(replies)
    for event in events:
        assert event in seen.log(), event
    # The server's own words (error bodies, half answers) stay out of the card.
    assert "boom" not in footer(card) and "slow down" not in footer(card) and "Mostly wom" not in json.dumps(card)

    # The fault has cleared: Retry asks the model again and its card replaces the draft.
    retried = click_retry(bot, card, user=user, channel=channel)
    assert retried["replace_original"] is True
    assert_llm_card(retried)
    assert llm.calls == len(replies) + 1


# --- faults absorbed on the way: a card written by the model --------------------------------------------------

TRANSIENT = [
    pytest.param(Reply.error(429, "slow down", type="rate_limit_error", headers={"Retry-After": "1"}),
                 ["llm_http_error"], id="429-retry-after"),
    pytest.param(Reply.error(500, "boom", type="server_error", headers={"retry-after-ms": "10"}),
                 ["llm_http_error"], id="500"),
    pytest.param(Reply.error(503, "overloaded", type="server_error", headers={"retry-after-ms": "10"}),
                 ["llm_http_error"], id="503"),
    pytest.param(Reply.reset(), [], id="reset"),
    pytest.param(Reply.text('{"profile": {"basic_attributes": "Mostly wom', finish_reason="length"),
                 ["llm_reply_unusable", "llm_reply_repaired"], id="truncated-json"),
    pytest.param(Reply.json({"profile": {"basic_attributes": "x"}, "mood": "extra"}),
                 ["llm_reply_unusable", "llm_reply_repaired"], id="schema-broken"),
]


@pytest.mark.parametrize(("first", "events"), TRANSIENT)
def test_a_single_fault_is_absorbed_and_the_model_writes_the_card(
    bot: Harness, llm: FakeOpenAIServer, seen: Seen, request: pytest.FixtureRequest, first: Reply, events: list[str]
) -> None:
    n = 30 + [p.id for p in TRANSIENT].index(request.node.callspec.id)
    llm.enqueue(first)
    card = ask(bot, paste(n), user=f"U0TF{n}", channel=f"C0TF{n}")
    assert_llm_card(card)
    # The SDK's retry or the repair request: one call more than a healthy answer takes.
    assert llm.calls == 2
    for event in events:
        assert event in seen.log(), event
    assert "llm_failed" not in seen.log()


def test_a_429_waits_as_long_as_retry_after_says(bot: Harness, llm: FakeOpenAIServer, seen: Seen) -> None:
    llm.enqueue(Reply.error(429, "slow down", type="rate_limit_error", headers={"Retry-After": "1"}))
    card = ask(bot, paste(40), user="U0RA40", channel="C0RA40")
    assert_llm_card(card)
    first, second = llm.requests
    # The retry is the SDK's second attempt (it says so), not a new request from the bot.
    assert (first.headers.get("x-stainless-retry-count"), second.headers.get("x-stainless-retry-count")) == ("0", "1")
    assert "llm_http_error" in seen.log()


# --- answers that parse but are wrong: repaired in post-processing -------------------------------------------


def _scripted(edit: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], Reply]:
    """A handler answering every request with the default persona for it, changed by `edit`."""
    return lambda body: Reply.json(edit(default_persona(body)))


def _shares(card: dict[str, Any], field_index: int) -> list[float]:
    """The card's age (0) or gender (1) figures, as its charts draw them."""
    if field_index == 0:
        return [point["value"] for point in block(card, "persona_chart_age")["chart"]["series"][0]["data"]]
    return [segment["value"] for segment in block(card, "persona_chart_gender")["chart"]["segments"]]


@pytest.mark.parametrize(
    "skew",
    [
        pytest.param(lambda v: v * 3, id="sums-to-300"),
        pytest.param(lambda v: v / 7, id="sums-to-14"),
        pytest.param(lambda v: -v, id="negative"),
        pytest.param(lambda v: 0.0, id="all-zero"),
    ],
)
def test_an_estimate_that_does_not_sum_to_100_is_rescaled(
    bot: Harness, llm: FakeOpenAIServer, seen: Seen, skew: Callable[[float], float], request: pytest.FixtureRequest
) -> None:
    n = ["sums-to-300", "sums-to-14", "negative", "all-zero"].index(request.node.callspec.id)

    def edit(draft: dict[str, Any]) -> dict[str, Any]:
        estimate = draft["demographics_estimate"]
        assert estimate is not None, "these apps have no audience data: the model must be asked for an estimate"
        first_age = next(iter(estimate["age"]))
        estimate["age"] = {k: skew(v + (10 if k == first_age else 0)) for k, v in estimate["age"].items()}
        estimate["gender"] = {k: skew(v) for k, v in estimate["gender"].items()}
        return draft

    llm.handler = _scripted(edit)
    # Apps the catalog does not know: no audience data, so the figures are the model's estimate.
    card = ask(bot, f"Zorblax Fitness 0.9{n}, Quuxly Runner 0.8, Blimpo Chat 0.7", user=f"U0ES{n}", channel=f"C0ES{n}")
    assert_llm_card(card)
    assert "AI estimate" in json.dumps(card)
    for index in (0, 1):
        shares = _shares(card, index)
        assert shares and all(s >= 0 for s in shares)
        assert sum(shares) == pytest.approx(100, abs=0.2)
    assert "persona_repaired" in seen.log()


def test_absurdly_long_fields_are_cut_and_the_card_fits(bot: Harness, llm: FakeOpenAIServer, seen: Seen) -> None:
    def edit(draft: dict[str, Any]) -> dict[str, Any]:
        draft["profile"] = {field: f"{field} " + "very long words " * 6000 for field in draft["profile"]}
        draft["hashtags"] = {"zh": ["#很長" * 500] * 400, "en": [f"#Tag{i}" for i in range(2000)]}
        draft["citations"] = {field: ["Keep"] * 3000 for field in draft["citations"]}
        return draft

    llm.handler = _scripted(edit)
    card = ask(bot, paste(50), user="U0LONG50", channel="C0LONG50")
    assert_llm_card(card)
    for field in PROFILE_FIELDS:
        assert field in profile_text(card, field)
        assert len(profile_text(card, field)) < 700
    tags = block(card, "persona_hashtags")["text"]["text"]
    assert tags.count("#") <= 6
    assert "persona_repaired" in seen.log()


def test_citations_of_apps_not_in_the_input_are_dropped(bot: Harness, llm: FakeOpenAIServer, seen: Seen) -> None:
    def edit(draft: dict[str, Any]) -> dict[str, Any]:
        draft["citations"] = {field: ["Keep", "TikTok", "Netflix", "<!channel>"] for field in draft["citations"]}
        return draft

    llm.handler = _scripted(edit)
    card = ask(bot, paste(51), user="U0CITE51", channel="C0CITE51")
    assert_llm_card(card)
    for field in PROFILE_FIELDS:
        cited = block(card, f"persona_cite_{field}")["elements"][0]["text"]
        assert "Keep" in cited
        assert "TikTok" not in cited and "Netflix" not in cited and "channel" not in cited
    assert "persona_repaired" in seen.log()


def test_a_model_that_answers_nothing_at_all_still_gives_a_card(bot: Harness, llm: FakeOpenAIServer,
                                                                 seen: Seen) -> None:
    llm.handler = lambda body: Reply.json(None)
    card = ask(bot, paste(52), user="U0NULL52", channel="C0NULL52")
    assert_offline_card(card, "unusable answer")
    assert "llm_fault" in seen.log()
