"""Who may use the bot and its cards, and what they see, against the real `persona-bot serve`.

People outside the allowlist reaching the bot through a listed install (Slack Connect, modals, org-wide
installs), internals in error messages, the Markdown export, invisible characters in names and persona ids used
as bearer tokens. The transport side of the front door is in `test_front_door.py`.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bot.devtools import SlackRequestSender
from tests.support.slack_harness import (
    SIGNING_SECRET,
    Harness,
    blocks_of,
    card_in_thread,
    is_card,
    log_lines,
    post_event,
    post_payload,
    running_bot,
    url_posts,
    wait_url,
)

TEAM = "T0001"  # the stand-in's workspace
FRIEND = "T0FRIEND"  # another listed workspace
OUTSIDER = "T0EXT"  # a Slack Connect partner, not listed


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Harness]:
    env = {"PERSONA_ALLOWED_TEAMS": f"{TEAM},{FRIEND}"}
    with running_bot(tmp_path_factory.mktemp("access"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


# --- helpers -------------------------------------------------------------------------------------------------------




# --- 5. people, not only installs -----------------------------------------------------------------------------------


def _connect_mention(h: Harness, user_team: str, channel: str, user: str) -> tuple[dict[str, Any], str]:
    """An app_mention in a Slack Connect channel of our workspace, as Slack sends it for a partner's user."""
    event = h.sender.payloads.app_mention_event("fitness enthusiasts", channel=channel, user=user)
    event["user_team"] = event["source_team"] = user_team
    envelope = h.sender.payloads.event_callback(event)
    envelope["is_ext_shared_channel"] = True
    return envelope, event["ts"]


def test_a_slack_connect_user_from_an_unlisted_org_is_refused_politely(bot: Harness) -> None:
    channel, user = "C0SHARED", "U0EXT1"
    envelope, _ = _connect_mention(bot, OUTSIDER, channel, user)
    assert post_event(bot.sender, envelope) == 200
    refusal = bot.standin.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == user).params
    assert "only available to members" in refusal["text"]
    time.sleep(1.0)
    assert [c for c in bot.standin.calls_to("chat.postMessage") if c.params.get("channel") == channel] == []


def test_a_slack_connect_user_from_a_listed_workspace_is_served(bot: Harness) -> None:
    envelope, ts = _connect_mention(bot, FRIEND, "C0SHARED2", "U0FRIEND1")
    assert post_event(bot.sender, envelope) == 200
    card_in_thread(bot, "C0SHARED2", ts)


def test_a_modal_submitted_from_an_unlisted_workspace_is_refused(bot: Harness) -> None:
    user, channel = "U0EXTMODAL", "C0EXTMODAL"
    ack = bot.sender.slash_command("", user_id=user, channel_id=channel).json()
    message = {"blocks": ack["blocks"], "text": ack["text"], "ts": bot.sender.payloads.ts(), "ephemeral_user": user}
    bot.sender.block_action("persona_open_modal", None, user_id=user, channel_id=channel, message=message,
                            response_url=bot.standin.response_url("extmodal", channel_id=channel, user_id=user))
    opened = bot.standin.wait_for("views.open", lambda c: "extmodal" in json.dumps(c.params))
    view = opened.response["view"]
    option = {"text": {"type": "plain_text", "text": "Fitness enthusiasts in Taipei"}, "value": "seg_001"}
    values = {"segment_block": {"segment_picker": {"type": "external_select", "selected_option": option}},
              "apps_block": {"apps_input": {"type": "plain_text_input", "value": None}}}
    outsider = bot.sender.payloads.view_submission(view, values, user_id=user)
    # Slack's shape for a modal opened from a Slack Connect channel by a partner's user: their workspace in
    # `team` and `user.team_id`, ours in `view.app_installed_team_id`.
    outsider["team"] = {"id": OUTSIDER, "domain": "partner"}
    outsider["user"]["team_id"] = OUTSIDER
    outsider["view"]["app_installed_team_id"] = TEAM
    assert post_payload(bot.sender, outsider) == 200
    # The control: the same modal submitted by our own user makes exactly one card on the same response_url.
    assert bot.sender.view_submission(view, values, user_id=user).status == 200
    wait_url(bot, "extmodal", is_card)
    time.sleep(0.5)
    assert len([p for p in url_posts(bot, "extmodal") if is_card(p)]) == 1


def test_an_org_wide_install_is_served_in_a_listed_workspace_of_the_org(bot: Harness) -> None:
    channel = "C0GRID"
    event = bot.sender.payloads.app_mention_event("fitness enthusiasts", channel=channel, user="U0GRID")
    event["user_team"] = TEAM
    envelope = bot.sender.payloads.event_callback(event)
    # An org-wide install: the authorization names the org and no workspace.
    envelope["enterprise_id"] = "E0GRID"
    envelope["authorizations"] = [{"enterprise_id": "E0GRID", "team_id": None, "user_id": "U0BOT", "is_bot": True,
                                   "is_enterprise_install": True}]
    assert post_event(bot.sender, envelope) == 200
    card_in_thread(bot, channel, event["ts"])


# --- 6. internals never reach users ---------------------------------------------------------------------------------


def test_a_broken_warehouse_shows_a_generic_message_and_logs_the_details(
        tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> None:
    workdir = tmp_path_factory.mktemp("front-broken")
    broken = workdir / "broken.duckdb"
    shutil.copy(sample_warehouse_file, broken)
    with duckdb.connect(str(broken)) as conn:
        conn.execute("ALTER TABLE segments DROP COLUMN description")
    with running_bot(workdir, broken) as h:
        h.sender.slash_command("fitness enthusiasts", user_id="U0BROKEN", channel_id="C0BROKEN",
                               response_url=h.standin.response_url("broken", channel_id="C0BROKEN"))
        shown = wait_url(h, "broken", lambda p: any(b.get("block_id") == "persona_error" for b in blocks_of(p)))
        text = json.dumps(shown, ensure_ascii=False)
        for internal in ("Binder", "SELECT", "LINE 1", str(broken), sys.executable):
            assert internal not in text
        assert "warehouse" in text.lower()
        logged = next(e for e in log_lines(h) if e["event"] == "persona_error")
        assert logged["failure"] == "warehouse" and "Binder" in logged["error"]
        assert logged["request_id"] in text  # the reference the user can quote


def test_a_locked_warehouse_shows_neither_paths_nor_process_ids(
        tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> None:
    workdir = tmp_path_factory.mktemp("front-locked")
    locked = workdir / "locked.duckdb"
    shutil.copy(sample_warehouse_file, locked)
    with running_bot(workdir, locked) as h:
        # Another process holds the file for writing before the bot's first query, as a stuck load would.
        with duckdb.connect(str(locked)):
            h.sender.slash_command("fitness enthusiasts", user_id="U0LOCKED", channel_id="C0LOCKED",
                                   response_url=h.standin.response_url("locked", channel_id="C0LOCKED"))
            shown = wait_url(h, "locked", lambda p: any(b.get("block_id") == "persona_error" for b in blocks_of(p)))
        text = json.dumps(shown, ensure_ascii=False)
        for internal in (str(locked), str(workdir), sys.executable, "PID", "Conflicting lock", "IO Error"):
            assert internal not in text, internal
        assert "warehouse" in text.lower()
        logged = next(e for e in log_lines(h) if e["event"] == "persona_error")
        assert logged["failure"] == "warehouse" and "lock" in logged["error"].lower()
        assert logged["request_id"] in text


# --- 8. the Markdown export ------------------------------------------------------------------------------------------


def _ephemeral_card(h: Harness, text: str, user: str, channel: str, name: str) -> dict[str, Any]:
    h.sender.slash_command(text, user_id=user, channel_id=channel,
                           response_url=h.standin.response_url(name, channel_id=channel, user_id=user))
    wait_url(h, name, is_card)
    return next(m for m in h.standin.messages(channel) if m["ephemeral_user"] == user and is_card(m))


def _click(h: Harness, sender: SlackRequestSender, action: str, card: dict[str, Any], user: str, channel: str,
           name: str) -> None:
    element = next(e for b in card["blocks"] for e in b.get("elements", []) if e.get("action_id") == action)
    # A menu (Export) is answered with its first option (Markdown).
    value = element["value"] if "value" in element else element["options"][0]["value"]
    resp = sender.block_action(action, value, user_id=user, channel_id=channel, message=card,
                               response_url=h.standin.response_url(name, channel_id=channel, user_id=user,
                                                                   message_ts=card["ts"]))
    assert resp.status == 200


def test_the_markdown_export_escapes_markdown_and_html(bot: Harness) -> None:
    user, channel = "U0MDX", "C0MDX"
    paste = "![px](http://evil.example/t.png) 0.9, <img src=x onerror=alert(1)> 0.8, *Keep* 0.7"
    card = _ephemeral_card(bot, paste, user, channel, "mdx")
    _click(bot, bot.sender, "persona_export", card, user, channel, "mdx-export")
    bot.standin.wait_for("files.completeUploadExternal", lambda c: c.params.get("channel_id") == "D" + user[1:])
    markdown = next(f for f in bot.standin.files if f["name"].endswith(".md") and f["channel_id"] == "D" + user[1:])
    text = markdown["content"].decode()
    assert "![px](" not in text and "<img" not in text and "*Keep*" not in text
    assert "\\!\\[px\\]\\(http://evil.example/t.png\\)" in text and "&lt;img src=x onerror=alert\\(1\\)&gt;" in text


def test_zero_width_characters_never_reach_the_card(bot: Harness) -> None:
    invisible = "\u200b\u200c\u200d\u2060\ufeff"
    card = _ephemeral_card(bot, "Ke\u200bep 0.9, 小红书\u2060 0.8, \ufeff美团\u200d 0.7, Stra\u200cva 0.5", "U0ZW",
                           "C0ZW", "zw")
    text = json.dumps(card, ensure_ascii=False)
    assert not any(ch in text for ch in invisible)
    assert "Keep" in text and "Strava" in text


def test_persona_ids_are_not_bearer_tokens(bot: Harness) -> None:
    owner, other, channel = "U0OWNER", "U0OTHER", "C0OWN"
    card = _ephemeral_card(bot, "fitness enthusiasts", owner, channel, "own")
    # Someone else in the same workspace, clicking with the owner's persona id.
    for action in ("persona_export", "persona_regenerate", "persona_share"):
        _click(bot, bot.sender, action, card, other, channel, f"own-{action}")
        refusal = wait_url(bot, f"own-{action}")
        assert "Only the person who asked" in refusal["text"], refusal
    # Someone in another listed workspace, on the owner's public card.
    _click(bot, bot.sender, "persona_share", card, owner, channel, "own-share-ok")
    posted = bot.standin.wait_for("chat.postMessage",
                                  lambda c: c.params.get("channel") == channel and is_card(c.params))
    public = next(m for m in bot.standin.messages(channel) if m["ts"] == posted.response["ts"])
    friend = SlackRequestSender(bot.sender.app_url, SIGNING_SECRET, team_id=FRIEND,
                                response_url_factory=bot.standin.response_url)
    _click(bot, friend, "persona_export", public, "U0FRIEND2", channel, "own-friend-export")
    assert "Only the person who asked" in wait_url(bot, "own-friend-export")["text"]
    time.sleep(0.5)
    assert not [f for f in bot.standin.files if f["channel_id"] in ("D" + other[1:], "D0FRIEND2", channel)]
    assert not [c for c in bot.standin.calls_to("chat.update") if c.params.get("channel") == channel]
    assert len([p for p in url_posts(bot, "own") if is_card(p)]) == 1
