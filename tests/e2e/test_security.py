"""Who may talk to the bot, and how often a request counts: signatures, replays, duplicates and allowlists.

Each case runs against the real app (`persona-bot serve`) and the local Slack stand-in. "Nothing processed" is
checked with a control request sent right after the rejected one: once the control's card has arrived, anything
the rejected request had started would have shown up at its own response_url too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.devtools import SlackRequestSender
from tests.support.redis_server import RedisServer
from tests.support.slack_harness import SIGNING_SECRET, Harness, blocks_of, is_card, running_bot, url_posts, wait_url

ALLOWED_TEAM = "T0001"  # the stand-in's default workspace
ALLOWED_CHANNEL = "C0SALES"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Harness]:
    env = {"PERSONA_ALLOWED_TEAMS": f"{ALLOWED_TEAM}, E0ORG", "PERSONA_ALLOWED_CHANNELS": ALLOWED_CHANNEL}
    with running_bot(tmp_path_factory.mktemp("security"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


def _url(h: Harness, name: str, channel: str = ALLOWED_CHANNEL, user: str = "U1") -> str:
    return h.standin.response_url(name, channel_id=channel, user_id=user)


def _control(h: Harness, name: str) -> None:
    """A valid request whose card proves the bot was working the whole time."""
    resp = h.sender.slash_command("fitness enthusiasts", user_id="U0CONTROL", channel_id=ALLOWED_CHANNEL,
                                  response_url=_url(h, name, user="U0CONTROL"))
    assert resp.status == 200
    try:
        wait_url(h, name, is_card)
    except AssertionError:
        raise AssertionError(f"no card for the control request: {url_posts(h, name)}\n{h.logs()[-3000:]}") from None


def _slash_body(h: Harness, name: str, **kwargs: str) -> tuple[str, str]:
    return h.sender.build_slash_command("fitness enthusiasts", response_url=_url(h, name), **kwargs)


# --- authenticity ------------------------------------------------------------------------------------------------


def test_a_forged_signature_is_rejected_and_nothing_runs(bot: Harness) -> None:
    body, content_type = _slash_body(bot, "forged", channel_id=ALLOWED_CHANNEL)
    headers = bot.sender.signature_headers(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    resp = bot.sender.post(body, content_type, sign=False, extra_headers=headers)
    assert resp.status == 401
    _control(bot, "forged-control")
    assert url_posts(bot, "forged") == []


def test_a_body_signed_with_another_secret_is_rejected(bot: Harness) -> None:
    other = SlackRequestSender(bot.sender.app_url, "not-our-secret")
    body, content_type = _slash_body(bot, "wrong-secret", channel_id=ALLOWED_CHANNEL)
    assert other.post(body, content_type).status == 401
    _control(bot, "wrong-secret-control")
    assert url_posts(bot, "wrong-secret") == []


@pytest.mark.parametrize("drop", ["X-Slack-Signature", "X-Slack-Request-Timestamp", "both"])
def test_missing_signature_headers_are_rejected(bot: Harness, drop: str) -> None:
    name = f"missing-{drop}"
    body, content_type = _slash_body(bot, name, channel_id=ALLOWED_CHANNEL)
    headers = bot.sender.signature_headers(body)
    for header in list(headers):
        if drop in (header, "both"):
            del headers[header]
    assert bot.sender.post(body, content_type, sign=False, extra_headers=headers).status == 401
    _control(bot, f"{name}-control")
    assert url_posts(bot, name) == []


def test_a_stale_timestamp_is_rejected_even_when_correctly_signed(bot: Harness) -> None:
    body, content_type = _slash_body(bot, "stale", channel_id=ALLOWED_CHANNEL)
    six_minutes_ago = int(time.time()) - 6 * 60
    assert bot.sender.post(body, content_type, timestamp=six_minutes_ago).status == 401
    _control(bot, "stale-control")
    assert url_posts(bot, "stale") == []


def test_a_replayed_request_is_rejected_and_answered_once(bot: Harness) -> None:
    body, content_type = _slash_body(bot, "replay", channel_id=ALLOWED_CHANNEL)
    headers = bot.sender.signature_headers(body)
    assert bot.sender.post(body, content_type, sign=False, extra_headers=headers).status == 200
    wait_url(bot, "replay", is_card)
    # The same bytes with the same valid signature, within Slack's 5-minute window: a captured request re-sent.
    again = bot.sender.post(body, content_type, sign=False, extra_headers=headers)
    assert again.status == 401
    _control(bot, "replay-control")
    assert len([p for p in url_posts(bot, "replay") if is_card(p)]) == 1
    assert "slack_replay_rejected" in bot.logs()


def test_a_replay_dressed_as_a_slack_retry_is_still_rejected(bot: Harness) -> None:
    # The retry header is not signed: adding it to a captured command must not get the command run again.
    body, content_type = _slash_body(bot, "fake-retry", channel_id=ALLOWED_CHANNEL)
    headers = bot.sender.signature_headers(body)
    assert bot.sender.post(body, content_type, sign=False, extra_headers=headers).status == 200
    wait_url(bot, "fake-retry", is_card)
    dressed = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.sender.post(body, content_type, sign=False, extra_headers=dressed).status == 401
    _control(bot, "fake-retry-control")
    assert len([p for p in url_posts(bot, "fake-retry") if is_card(p)]) == 1


def test_identical_typeahead_lookups_within_a_second_are_both_answered(bot: Harness) -> None:
    # Type, delete, retype: Slack sends the same bytes twice, and both must get options.
    body, content_type = bot.sender.build_block_suggestion("segment_picker", "fit", channel_id=ALLOWED_CHANNEL)
    headers = bot.sender.signature_headers(body)
    answers = [bot.sender.post(body, content_type, sign=False, extra_headers=headers) for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert all(a.json()["options"] for a in answers)


# --- duplicates --------------------------------------------------------------------------------------------------


def _thread_cards(h: Harness, channel: str, thread_ts: str) -> list[dict[str, object]]:
    return [m for m in h.standin.messages(channel, thread_ts=thread_ts) if is_card(m)]


def _channel_cards(h: Harness, channel: str) -> list[dict[str, object]]:
    return [m for m in h.standin.messages(channel, include_replies=True) if is_card(m)]


def test_slack_retries_of_an_event_produce_one_card(bot: Harness) -> None:
    channel, ts = ALLOWED_CHANNEL, bot.sender.payloads.ts()
    event = bot.sender.payloads.app_mention_event("<@U0BOT> fitness enthusiasts", channel, "U0RETRY", ts)
    assert bot.sender.event(event, event_id="Ev0RETRY").status == 200
    retries = [bot.sender.event(event, event_id="Ev0RETRY", retry_num=n, timestamp=int(time.time()) - n)
               for n in (1, 2, 3)]
    assert [r.status for r in retries] == [200, 200, 200]
    # Told not to retry again: the first delivery is being handled.
    assert all(r.headers.get("x-slack-no-retry") == "1" for r in retries)
    bot.standin.wait_for("chat.update", lambda c: c.params.get("channel") == channel and is_card(c.params))
    _control(bot, "retry-control")
    assert len(_thread_cards(bot, channel, ts)) == 1
    assert bot.logs().count("slack_duplicate_ignored") >= 3


def test_a_duplicate_delivery_without_retry_headers_is_ignored(bot: Harness) -> None:
    channel, ts = "D0DUP", bot.sender.payloads.ts()
    event = bot.sender.payloads.dm_message_event("fitness enthusiasts", channel, "U0DUP", ts)
    assert bot.sender.event(event, event_id="Ev0DUP").status == 200
    # Re-signed a second earlier, so it is a second delivery rather than a replay of the same request.
    assert bot.sender.event(event, event_id="Ev0DUP", timestamp=int(time.time()) - 1).status == 200
    bot.standin.wait_for("chat.update", lambda c: c.params.get("channel") == channel and is_card(c.params))
    _control(bot, "dup-control")
    assert len(_channel_cards(bot, channel)) == 1


def test_a_retry_of_a_delivery_that_never_arrived_is_processed(bot: Harness) -> None:
    # Nothing is lost: if the first delivery never reached us, the retry is the request.
    channel, ts = ALLOWED_CHANNEL, bot.sender.payloads.ts()
    event = bot.sender.payloads.app_mention_event("<@U0BOT> fitness enthusiasts", channel, "U0LOST", ts)
    assert bot.sender.event(event, event_id="Ev0LOST", retry_num=1).status == 200
    bot.standin.wait_for("chat.update", lambda c: c.params.get("channel") == channel and is_card(c.params)
                         and any(m["ts"] == c.params.get("ts") for m in bot.standin.messages(channel, thread_ts=ts)))
    assert len(_thread_cards(bot, channel, ts)) == 1


# --- allowlists --------------------------------------------------------------------------------------------------


def test_a_workspace_not_allowed_gets_a_polite_refusal_and_nothing_runs(bot: Harness) -> None:
    stranger = SlackRequestSender(bot.sender.app_url, SIGNING_SECRET, team_id="T0STRANGER")
    resp = stranger.slash_command("fitness enthusiasts", channel_id=ALLOWED_CHANNEL,
                                  response_url=_url(bot, "stranger"))
    assert resp.status == 200
    answer = resp.json()
    assert answer["response_type"] == "ephemeral"
    assert "not enabled for this workspace" in answer["text"]
    _control(bot, "stranger-control")
    assert url_posts(bot, "stranger") == []
    # Mentions from that workspace are dropped without a word: the token is not valid there.
    ts = stranger.payloads.ts()
    mention = stranger.app_mention("<@U0BOT> fitness", channel=ALLOWED_CHANNEL, ts=ts, event_id="Ev0STRANGER")
    assert mention.status == 200
    _control(bot, "stranger-control-2")
    assert bot.standin.messages(ALLOWED_CHANNEL, thread_ts=ts) == []


def test_an_enterprise_org_on_the_list_is_served(bot: Harness) -> None:
    org_member = SlackRequestSender(bot.sender.app_url, SIGNING_SECRET, team_id="T0INORG")
    body = org_member.payloads.slash_command("fitness enthusiasts", channel_id=ALLOWED_CHANNEL,
                                             response_url=_url(bot, "org"))
    body |= {"enterprise_id": "E0ORG", "is_enterprise_install": "true"}
    form_body, content_type = org_member._form(body)
    assert org_member.post(form_body, content_type).status == 200
    wait_url(bot, "org", is_card)


def test_a_channel_not_allowed_gets_a_polite_refusal(bot: Harness) -> None:
    resp = bot.sender.slash_command("fitness enthusiasts", channel_id="C0RANDOM",
                                    response_url=_url(bot, "random", channel="C0RANDOM"))
    assert resp.status == 200
    assert "isn't available in this channel" in resp.json()["text"]
    _control(bot, "random-control")
    assert url_posts(bot, "random") == []


def test_a_mention_in_a_channel_not_allowed_is_answered_privately(bot: Harness) -> None:
    ts = bot.sender.payloads.ts()
    assert bot.sender.app_mention("<@U0BOT> fitness", channel="C0RANDOM", user="U0MENTION", ts=ts).status == 200
    refusal = bot.standin.wait_for("chat.postEphemeral", lambda c: c.params.get("channel") == "C0RANDOM")
    assert refusal.params["user"] == "U0MENTION"
    assert "isn't available in this channel" in refusal.params["text"]
    assert [m for m in bot.standin.messages("C0RANDOM", thread_ts=ts) if not m.get("ephemeral_user")] == []


def test_a_click_in_a_channel_not_allowed_is_refused_through_its_response_url(bot: Harness) -> None:
    resp = bot.sender.block_action("persona_partnership", "abc", channel_id="C0RANDOM",
                                   response_url=_url(bot, "click-random", channel="C0RANDOM"))
    assert resp.status == 200
    posted = wait_url(bot, "click-random")
    assert "isn't available in this channel" in posted["text"]
    assert posted.get("replace_original") is False


def test_direct_messages_are_always_served(bot: Harness) -> None:
    resp = bot.sender.slash_command("fitness enthusiasts", channel_id="D0ME", user_id="U0DM",
                                    response_url=_url(bot, "dm", channel="D0ME", user="U0DM"))
    assert resp.status == 200 and resp.body == ""
    card = wait_url(bot, "dm", is_card)
    assert any(b.get("type") == "header" for b in blocks_of(card))


# --- across replicas ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path,
             redis_server: RedisServer) -> Iterator[tuple[Harness, Harness]]:
    # Each replica talks to a Slack stand-in of its own, so each answers its own requests (a shared queue would
    # let one replica's worker answer the other's stand-in); the queue has its own tests in test_queue.py.
    env = {"REDIS_URL": redis_server.url, "PERSONA_JOBS": "in-process"}
    with running_bot(tmp_path_factory.mktemp("replica-a"), sample_warehouse_file, env_extra=env) as a, \
            running_bot(tmp_path_factory.mktemp("replica-b"), sample_warehouse_file, env_extra=env) as b:
        yield a, b


def test_a_retry_landing_on_another_replica_is_still_a_duplicate(replicas: tuple[Harness, Harness]) -> None:
    a, b = replicas
    ts = a.sender.payloads.ts()
    event = a.sender.payloads.dm_message_event("fitness enthusiasts", "D0REPLICA", "U0REPLICA", ts)
    assert a.sender.event(event, event_id="Ev0REPLICA").status == 200
    retry = b.sender.event(event, event_id="Ev0REPLICA", retry_num=1, timestamp=int(time.time()) - 1)
    assert retry.status == 200 and retry.headers.get("x-slack-no-retry") == "1"
    a.standin.wait_for("chat.update", lambda c: c.params.get("channel") == "D0REPLICA" and is_card(c.params))
    assert len(_channel_cards(a, "D0REPLICA")) == 1
    assert b.standin.calls_to("chat.postMessage") == []
    assert "slack_duplicate_ignored" in b.logs()


def test_a_replay_against_another_replica_is_rejected(replicas: tuple[Harness, Harness]) -> None:
    a, b = replicas
    body, content_type = a.sender.build_slash_command("fitness enthusiasts", response_url=a.standin.response_url("x"))
    headers = a.sender.signature_headers(body)
    assert a.sender.post(body, content_type, sign=False, extra_headers=headers).status == 200
    assert b.sender.post(body, content_type, sign=False, extra_headers=headers).status == 401
    assert json.loads(b.sender.post(body, content_type, sign=False, extra_headers=headers).body)["error"]
