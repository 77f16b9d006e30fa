"""Socket Mode end to end: `persona-bot run` as a subprocess, connected to the stand-in's local WebSocket server.

The stand-in pushes envelopes the way Slack does; the assertions are on the acks the app sends back over the socket
and on what arrives at the Web API and at response_urls.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.devtools import SlackPayloads, SlackStandIn
from tests.support.processes import OWN_GROUP, stop_process
from tests.support.slack_harness import action_ids, assert_slack_accepts, bot_env

APP_TOKEN = "xapp-1-A0001-test"


@dataclass
class SocketBot:
    standin: SlackStandIn
    payloads: SlackPayloads
    log: Path

    def send(self, payload_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Pushes an envelope and returns the app's ack for it."""
        envelope_id = self.standin.socket_send(payload_type, payload)
        return self.standin.socket_wait_ack(envelope_id, timeout=10)


def _connected(standin: SlackStandIn, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(120):
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            standin.socket_wait_connected(timeout=0.5)
            return
        except AssertionError:
            continue
    raise RuntimeError(f"the bot did not connect:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[SocketBot]:
    tmp = tmp_path_factory.mktemp("socket")
    standin = SlackStandIn().start()
    log = tmp / "bot.log"
    # No signing secret: Socket Mode needs only the two tokens.
    env = bot_env(tmp, standin, sample_warehouse_file, SLACK_APP_TOKEN=APP_TOKEN)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], stdout=out, stderr=subprocess.STDOUT,
                                env=env, process_group=OWN_GROUP)
    try:
        _connected(standin, proc, log)
        yield SocketBot(standin, SlackPayloads(response_url_factory=standin.response_url), log)
    finally:
        # The client goes first, or it keeps reconnecting to a stand-in that is shutting down.
        stop_process(proc)
        standin.stop()


@pytest.fixture(autouse=True)
def _every_message_fits(bot: SocketBot) -> Iterator[None]:
    start = len(bot.standin.calls)
    yield
    for call in bot.standin.calls[start:]:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            blocks = call.params.get("blocks") or []
            assert_slack_accepts({"text": call.params.get("text"),
                                  "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})
    assert bot.standin.internal_errors == []
    assert "Traceback" not in bot.log.read_text(errors="replace")


def _is_card(params: dict[str, Any]) -> bool:
    return "persona_actions" in _block_ids(params)


def _block_ids(params: dict[str, Any]) -> list[str]:
    blocks = params.get("blocks") or []
    return [b.get("block_id", "") for b in (json.loads(blocks) if isinstance(blocks, str) else blocks)]


def _persona_id(card: dict[str, Any]) -> str:
    return next(e["value"] for b in card["blocks"] if b.get("block_id") == "persona_actions" for e in b["elements"])


def test_the_app_connects_with_the_app_token_and_calls_the_api_with_the_bot_token(bot: SocketBot) -> None:
    opened = bot.standin.wait_for("apps.connections.open")
    assert opened.token_type == "app" and opened.ok
    assert {c.token_type for c in bot.standin.calls if c.method.startswith(("auth.", "chat.", "users."))} == {"bot"}


def test_a_slash_command_is_acked_over_the_socket_and_answered_through_the_response_url(bot: SocketBot) -> None:
    user, channel = "U0SOCK1", "C0SOCK1"
    url = bot.standin.response_url("socket-slash", channel_id=channel, user_id=user)
    ack = bot.send("slash_commands", bot.payloads.slash_command("fitness enthusiasts", user_id=user,
                                                                channel_id=channel, response_url=url))
    # An empty ack: the answer comes through the response_url, step by step.
    assert not ack.get("payload")
    card = bot.standin.wait_for("response_url", lambda c: c.path.endswith("/socket-slash") and _is_card(c.params),
                                timeout=20).params
    posts = [c.params for c in bot.standin.calls_to("response_url") if c.path.endswith("/socket-slash")]
    assert [p["replace_original"] for p in posts] == [False, True, True]
    assert card["response_type"] == "ephemeral"
    assert card["blocks"][0]["text"]["text"] == "Fitness enthusiasts in Taipei"
    assert "persona_share" in action_ids(card)

    # The card's buttons arrive as interactive envelopes: Share posts the same card publicly.
    message = next(m for m in bot.standin.messages(channel) if m["ephemeral_user"] == user)
    click = bot.payloads.block_actions("persona_share", _persona_id(card), user_id=user, channel_id=channel,
                                       message=message)
    assert not bot.send("interactive", click).get("payload")
    shared = bot.standin.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel, timeout=20)
    assert shared.ok and _is_card(shared.params)
    assert "persona_share" not in action_ids({"blocks": shared.params["blocks"]})


def test_help_comes_back_in_the_ack_itself(bot: SocketBot) -> None:
    ack = bot.send("slash_commands", bot.payloads.slash_command("help", user_id="U0SOCKH1", channel_id="C0SOCKH1"))
    payload = ack["payload"]
    assert payload["response_type"] == "ephemeral"
    assert action_ids(payload) == ["persona_open_modal"]
    assert_slack_accepts(payload)


def test_a_mention_arrives_as_an_event_and_is_answered_in_its_thread(bot: SocketBot) -> None:
    user, channel = "U0SOCKM1", "C0SOCKM1"
    said = bot.standin.post_user_message(channel, user, "<@U0BOT> gamers")
    event = bot.payloads.event_callback(bot.payloads.app_mention_event("<@U0BOT> gamers", channel, user, said["ts"]))
    bot.send("events_api", event)
    card = bot.standin.wait_for("chat.update", lambda c: c.params.get("channel") == channel and _is_card(c.params),
                                timeout=20)
    thread = bot.standin.messages(channel, thread_ts=said["ts"])
    assert [m["ts"] for m in thread] == [said["ts"], card.params["ts"]]
    assert thread[1]["blocks"][0]["text"]["text"] == "Mobile gamers"
