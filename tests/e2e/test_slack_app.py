"""End to end through the real Bolt app in HTTP mode and the real Slack SDK, against the local Slack stand-in.

The app runs as `persona-bot serve` in a subprocess, one per module and configuration. Every assertion is on what
Slack would receive: payloads at the Web API and at response_urls, and the stand-in's conversation model. Each test
uses its own user and channel ids so answers still arriving from an earlier test cannot be mistaken for its own.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation

from bot.devtools import Call, SlackRequestSender
from prompts import load_template
from tests.support.block_limits import violations
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.slack_harness import (
    SIGNING_SECRET,
    Harness,
    action_ids,
    assert_slack_accepts,
    blocks_of,
    is_card,
    llm_env,
    running_bot,
    submit_product,
    url_posts,
    wait_url,
)

# Harnesses started in this module; after every test, each payload they received is checked against Block Kit limits.
_HARNESSES: list[Harness] = []
_CHECKED: dict[int, int] = {}
_LOG_CHECKED: dict[int, int] = {}
MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
MODAL_METHODS = {"views.open", "views.push", "views.update"}
APP_LIST = "小红书 0.92, Keep 0.85, 美团 0.8"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Harness]:
    with running_bot(tmp_path_factory.mktemp("slack"), sample_warehouse_file) as harness:
        _HARNESSES.append(harness)
        yield harness
        _HARNESSES.remove(harness)


@pytest.fixture(scope="module")
def llm_bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path,
            llm: FakeOpenAIServer) -> Iterator[Harness]:
    env = llm_env(llm.url)
    with running_bot(tmp_path_factory.mktemp("slack-llm"), sample_warehouse_file, env_extra=env) as harness:
        _HARNESSES.append(harness)
        yield harness
        _HARNESSES.remove(harness)


def _payload_problems(call: Call) -> list[str]:
    params = call.params
    if call.method in MESSAGE_METHODS:
        if params.get("delete_original"):
            return []
        return violations({"text": params.get("text"), "blocks": blocks_of(params)})
    if call.method in MODAL_METHODS:
        return violations(_view(params), kind="modal")
    if call.method == "chat.stopStream" and params.get("blocks"):
        # A stream's text is its fallback; only the blocks that end it are judged here.
        return violations({"text": "streamed", "blocks": blocks_of(params)})
    if call.method == "views.publish":
        # A Home tab has the modal's block limits but no title; give it one so only the blocks are judged.
        view = {**_view(params), "type": "modal", "title": {"type": "plain_text", "text": "App Home"}}
        return violations(view, kind="modal")
    return []


@pytest.fixture(autouse=True)
def _every_payload_fits() -> Iterator[None]:
    yield
    for h in _HARNESSES:
        calls = h.standin.calls
        start = _CHECKED.get(id(h), 0)
        _CHECKED[id(h)] = len(calls)
        for call in calls[start:]:
            problems = _payload_problems(call)
            assert problems == [], f"{call.method}: {json.dumps(problems, ensure_ascii=False)}"
        assert h.standin.internal_errors == []
        log = h.logs()
        new_log, _LOG_CHECKED[id(h)] = log[_LOG_CHECKED.get(id(h), 0):], len(log)
        assert "Traceback" not in new_log, new_log


# --- reading what Slack received ---------------------------------------------------------------------------------


def _view(params: dict[str, Any]) -> dict[str, Any]:
    view = params.get("view") or {}
    return json.loads(view) if isinstance(view, str) else view


def has_block(params: dict[str, Any], block_id: str) -> bool:
    return any(b.get("block_id") == block_id for b in blocks_of(params))


def text_of(params: dict[str, Any]) -> str:
    return json.dumps(blocks_of(params), ensure_ascii=False) + str(params.get("text", ""))


def persona_id(params: dict[str, Any]) -> str:
    values = {
        e.get("value")
        for b in blocks_of(params) if b.get("block_id") in ("persona_actions", "persona_feedback")
        for e in b["elements"] if "value" in e  # the Export menu's options carry `<format>:<id>`
    }
    assert len(values) == 1, values
    return str(values.pop())


def footer(params: dict[str, Any]) -> str:
    block = next(b for b in blocks_of(params) if b.get("block_id") == "persona_footer")
    return " · ".join(e["text"] for e in block["elements"])


def response_url(h: Harness, name: str, channel: str, user: str, message_ts: str | None = None) -> str:
    return h.standin.response_url(name, channel_id=channel, user_id=user, message_ts=message_ts)


def wait_call(h: Harness, method: str, channel: str, predicate: Callable[[dict[str, Any]], bool] = lambda p: True,
              timeout: float = 20.0) -> Call:
    def match(c: Call) -> bool:
        return c.params.get("channel", c.params.get("channel_id")) == channel and predicate(c.params)

    return h.standin.wait_for(method, match, timeout)


def model_message(h: Harness, channel: str, ts: str) -> dict[str, Any]:
    found = [m for m in h.standin.messages(channel, include_replies=True) if m["ts"] == ts]
    assert found, f"no message {ts} in {channel}"
    return found[0]


def slash_card(h: Harness, text: str, *, user: str, channel: str, name: str) -> dict[str, Any]:
    """Runs `/persona text` and returns the ephemeral card as it sits in the stand-in's model."""
    resp = h.sender.slash_command(text, user_id=user, channel_id=channel,
                                  response_url=response_url(h, name, channel, user))
    assert resp.status == 200 and resp.body == ""
    wait_url(h, name, is_card)
    cards = [m for m in h.standin.messages(channel) if m["ephemeral_user"] == user and is_card(m)]
    assert len(cards) == 1
    return cards[0]


def click(h: Harness, action_id: str, message: dict[str, Any], *, user: str, channel: str, name: str,
          value: str | None = None) -> None:
    """A click on `action_id` in `message`; answers through the response_url go to `name`."""
    if value is None:
        found = [e for b in message["blocks"] for e in b.get("elements", []) if e.get("action_id") == action_id]
        value = found[0]["value"]
    resp = h.sender.block_action(action_id, value, user_id=user, channel_id=channel, message=message,
                                 response_url=response_url(h, name, channel, user, message_ts=message["ts"]))
    assert resp.status == 200


def shared_card(h: Harness, *, user: str, channel: str, name: str) -> dict[str, Any]:
    """A public card: a slash card shared to the channel, as it sits in the stand-in's model."""
    card = slash_card(h, "fitness enthusiasts", user=user, channel=channel, name=name)
    click(h, "persona_share", card, user=user, channel=channel, name=f"{name}-share")
    posted = wait_call(h, "chat.postMessage", channel, is_card)
    assert posted.ok, posted.response
    wait_url(h, f"{name}-share")
    return model_message(h, channel, posted.response["ts"])


# --- /persona ----------------------------------------------------------------------------------------------------


def test_slash_command_acks_at_once_then_working_data_and_card(bot: Harness) -> None:
    start = len(bot.response_posts())
    resp = bot.sender.slash_command("fitness enthusiasts", user_id="U100")
    assert resp.status == 200 and resp.body == ""
    card = bot.wait_response(lambda p: "persona_actions" in json.dumps(p.get("blocks", [])))
    posts = bot.response_posts(start)
    # Working, then the data part, then the card; each replaces the message before it.
    assert [p["replace_original"] for p in posts] == [False, True, True]
    assert "Working on it" in posts[0]["text"]
    assert "persona_demographics" in json.dumps(posts[1]["blocks"]) or "Age" in json.dumps(posts[1]["blocks"])
    assert card["response_type"] == "ephemeral"
    assert "Fitness enthusiasts in Taipei" in card["blocks"][0]["text"]["text"]
    assert "persona_share" in action_ids(card)
    for post in posts:
        assert_slack_accepts({"text": post["text"], "blocks": post["blocks"]})


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_is_in_the_ack_with_a_button_for_the_picker(bot: Harness, text: str) -> None:
    resp = bot.sender.slash_command(text, user_id="U0HELP1", channel_id="C0HELP1")
    assert resp.status == 200
    ack = resp.json()
    assert ack["response_type"] == "ephemeral"
    assert "/persona" in text_of(ack)
    assert action_ids(ack) == ["persona_open_modal"]
    assert_slack_accepts(ack)


def test_pasted_list_gets_a_card_for_those_apps(bot: Harness) -> None:
    card = slash_card(bot, APP_LIST, user="U0PASTE1", channel="C0PASTE1", name="paste")
    header = card["blocks"][0]["text"]["text"]
    closest = next(b for b in card["blocks"] if b["block_id"] == "persona_closest")["elements"][0]["text"]
    closest = closest.replace("&amp;", "&")  # mrkdwn escapes what the plain-text header shows as is
    # Titled after the closest segment, which the card names first among the closest ones.
    assert header.startswith("Pasted apps, closest to ")
    assert closest.startswith(f"🧭 Closest segments: {header.removeprefix('Pasted apps, closest to ')}, ")
    apps = next(b for b in card["blocks"] if b["block_id"] == "persona_apps")["text"]["text"]
    assert "小红书" in apps and "Keep" in apps and "美团" in apps
    assert "unmatched" not in apps


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("小红书 1.5, Keep -3", ["Scores must be between 0 and 1", "小红书 1.5", "Keep -3"]),
        ("TotallyNewApp 0.9, Instagarmmmx 0.5", ["None of these apps", "TotallyNewApp",
                                                 "Instagarmmmx (did you mean Instagram?)", "/persona help"]),
    ],
)
def test_a_bad_paste_is_answered_with_what_is_wrong(bot: Harness, text: str, named: list[str]) -> None:
    name = f"bad-{len(text)}"
    resp = bot.sender.slash_command(text, user_id="U0BADPASTE", channel_id="C0BADPASTE",
                                    response_url=response_url(bot, name, "C0BADPASTE", "U0BADPASTE"))
    assert resp.status == 200
    shown = wait_url(bot, name, lambda p: any(b.get("block_id") == "persona_error" for b in blocks_of(p)))
    message = next(b for b in blocks_of(shown) if b["block_id"] == "persona_error")["text"]["text"]
    for part in named:
        assert part in message


def test_the_picker_modal_offers_segments_as_you_type_and_makes_the_card(bot: Harness) -> None:
    user, channel = "U0MODAL1", "C0MODAL1"
    ack = bot.sender.slash_command("", user_id=user, channel_id=channel).json()
    help_message = {"blocks": ack["blocks"], "text": ack["text"], "ts": bot.sender.payloads.ts(),
                    "ephemeral_user": user}
    click(bot, "persona_open_modal", help_message, user=user, channel=channel, name="modal")
    opened = bot.standin.wait_for("views.open", lambda c: _view(c.params).get("callback_id") == "persona_modal")
    assert opened.ok, opened.response
    view = opened.response["view"]
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert elements["segment_block"]["type"] == "external_select"
    assert elements["apps_block"]["type"] == "plain_text_input" and elements["apps_block"]["multiline"]
    assert [o["value"] for o in elements["lang_block"]["options"]] == ["en", "zh-TW", "zh-CN"]

    # Typeahead: ranked segments in English or Chinese; an empty query lists them all, up to Slack's 100.
    # Only real matches, best first, named in the user's language as far as it is known without calling Slack.
    options = bot.sender.block_suggestion("segment_picker", "fitness", view=view, user_id=user).json()["options"]
    assert options[0]["value"] == "seg_001" and len(options) < 5
    assert options[0]["text"]["text"] in ("Fitness enthusiasts in Taipei", "台北健身愛好者", "台北健身爱好者")
    chinese = bot.sender.block_suggestion("segment_picker", "手遊", view=view, user_id=user).json()["options"]
    assert chinese[0]["value"] == "seg_004"
    everything = bot.sender.block_suggestion("segment_picker", "", view=view, user_id=user).json()["options"]
    assert 1 < len(everything) <= 100

    # Nothing chosen: the modal stays open with an error under the input.
    nothing = bot.sender.view_submission(view, {}, user_id=user)
    assert nothing.status == 200
    assert nothing.json()["response_action"] == "errors" and "apps_block" in nothing.json()["errors"]

    zh_tw = elements["lang_block"]["options"][1]
    values = {
        "segment_block": {"segment_picker": {"type": "external_select", "selected_option": options[0]}},
        "apps_block": {"apps_input": {"type": "plain_text_input", "value": None}},
        "lang_block": {"lang_select": {"type": "static_select", "selected_option": zh_tw}},
    }
    submitted = bot.sender.view_submission(view, values, user_id=user)
    assert submitted.status == 200 and submitted.body == ""
    card = wait_url(bot, "modal", is_card)
    assert card["response_type"] == "ephemeral"
    assert card["blocks"][0]["text"]["text"] == "台北健身愛好者"  # the name in the language chosen
    assert "基本屬性" in text_of(card)  # zh-TW, as chosen in the modal
    # The refused empty submission was not answered behind the modal's back.
    assert not any(has_block(p, "persona_error") for p in url_posts(bot, "modal"))


def test_the_picker_opened_from_app_home_answers_in_the_dm(bot: Harness) -> None:
    user = "U0HOMEM1"
    bot.sender.app_home_opened(user=user)
    home = bot.standin.wait_for("views.publish", lambda c: c.params.get("user_id") == user).response["view"]
    resp = bot.sender.block_action("persona_open_modal", "open", user_id=user, view=home)
    assert resp.status == 200
    opened = bot.standin.wait_for("views.open", lambda c: json.loads(_view(c.params)["private_metadata"]) == {
        "channel": None, "response_url": None})
    view = opened.response["view"]
    values = {"apps_block": {"apps_input": {"type": "plain_text_input", "value": APP_LIST}}}
    assert bot.sender.view_submission(view, values, user_id=user).status == 200
    dm = "D" + user[1:]
    card = wait_call(bot, "chat.update", dm, is_card)
    assert card.ok
    assert "Pasted apps, closest to " in text_of(card.params) and "Grounded on 3 apps" in text_of(card.params)


# --- mentions, DMs and the message shortcut ----------------------------------------------------------------------


def test_a_mention_is_answered_in_its_thread(bot: Harness) -> None:
    user, channel = "U0MENT1", "C0MENT1"
    said = bot.standin.post_user_message(channel, user, "<@U0BOT> fitness enthusiasts")
    resp = bot.sender.app_mention("<@U0BOT> fitness enthusiasts", channel=channel, user=user, ts=said["ts"])
    assert resp.status == 200
    working = wait_call(bot, "chat.postMessage", channel)
    assert working.params["thread_ts"] == said["ts"]
    assert "Working on it" in working.params["text"]
    card = wait_call(bot, "chat.update", channel, is_card)
    assert card.params["ts"] == working.response["ts"]
    assert "persona_share" not in action_ids(card.params)  # already public
    thread = bot.standin.messages(channel, thread_ts=said["ts"])
    assert [m["ts"] for m in thread] == [said["ts"], working.response["ts"]]
    assert is_card(thread[1]) and not thread[1]["ephemeral_user"]


def test_a_direct_message_is_answered_in_its_thread_of_the_agent_conversation(bot: Harness) -> None:
    user, dm = "U0DMA1", "D0DMA1"
    # The app's own messages in the DM come back as events too; they are not requests.
    bot.sender.event({"type": "message", "channel": dm, "channel_type": "im", "bot_id": "B0BOT", "text": "hi",
                      "ts": bot.sender.payloads.ts()})
    said = bot.standin.post_user_message(dm, user, APP_LIST)
    resp = bot.sender.dm_message(APP_LIST, channel=dm, user=user, ts=said["ts"])
    assert resp.status == 200
    # The status stands in for "working on it"; the data part comes first, in the thread of the message.
    data_part = wait_call(bot, "chat.postMessage", dm)
    assert data_part.params["thread_ts"] == said["ts"]
    card = wait_call(bot, "chat.update", dm, is_card)
    assert card.params["ts"] == data_part.response["ts"]
    assert "Pasted apps, closest to " in text_of(card.params) and "Grounded on 3 apps" in text_of(card.params)


def test_help_in_a_dm_has_no_modal_button(bot: Harness) -> None:
    dm = "D0DMHELP1"
    bot.sender.dm_message("help", channel=dm, user="U0DMHELP1")
    answer = wait_call(bot, "chat.postMessage", dm)
    assert "/persona" in text_of(answer.params) and action_ids(answer.params) == []


def test_the_message_shortcut_answers_in_that_messages_thread(bot: Harness) -> None:
    user, channel = "U0SHORT1", "C0SHORT1"
    message = bot.standin.post_user_message(channel, "U0OTHER1", f"Top apps for the campaign:\n{APP_LIST}")
    resp = bot.sender.message_shortcut("persona_from_message", message, channel_id=channel, user_id=user)
    assert resp.status == 200
    working = wait_call(bot, "chat.postMessage", channel)
    assert working.params["thread_ts"] == message["ts"]
    card = wait_call(bot, "chat.update", channel, is_card)
    assert card.params["ts"] == working.response["ts"]
    assert "Pasted apps, closest to " in text_of(card.params) and "Grounded on 3 apps" in text_of(card.params)


def test_the_message_shortcut_where_the_app_cannot_post_tells_the_user_privately(bot: Harness) -> None:
    user, channel = "U0SHORTP1", "G0SHORTP1"
    bot.standin.add_channel(channel, is_private=True, is_member=False)
    message = bot.standin.post_user_message(channel, "U0OTHER1", APP_LIST)
    url = response_url(bot, "shortcut-private", channel, user, message_ts=message["ts"])
    bot.sender.message_shortcut("persona_from_message", message, channel_id=channel, user_id=user, response_url=url)
    refused = wait_call(bot, "chat.postMessage", channel)
    assert refused.response["error"] == "channel_not_found"
    answer = wait_url(bot, "shortcut-private")
    assert answer["response_type"] == "ephemeral" and "can't post in this conversation" in answer["text"]


# --- App Home ----------------------------------------------------------------------------------------------------


def test_app_home_lists_recent_personas_and_sets_the_language(bot: Harness) -> None:
    user, channel = "U0HOME1", "C0HOME1"
    bot.sender.app_home_opened(user=user)
    first = bot.standin.wait_for("views.publish", lambda c: c.params.get("user_id") == user)
    assert first.ok and "Your recent personas" in text_of(_view(first.params))

    slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="home-card")
    bot.sender.app_home_opened(user=user)
    again = bot.standin.wait_for("views.publish", lambda c: c.params.get("user_id") == user and c is not first)
    recent = next(b for b in _view(again.params)["blocks"] if b.get("block_id") == "home_recent_item_0")
    assert "Fitness enthusiasts in Taipei" in recent["text"]["text"]

    # The same segment asked for again is one recent persona, the newest; its button opens the card again.
    slash_card(bot, "fitness enthusiasts", user=user, channel="C0HOME3", name="home-card-3")
    bot.sender.app_home_opened(user=user)
    third = bot.standin.wait_for("views.publish", lambda c: c.params.get("user_id") == user
                                 and c is not first and c is not again)
    entries = [b for b in _view(third.params)["blocks"] if str(b.get("block_id", "")).startswith("home_recent_item_")]
    assert len(entries) == 1
    opener = entries[0]["accessory"]
    assert opener["action_id"] == "home_open_persona_0"
    assert bot.sender.block_action("home_open_persona_0", opener["value"], user_id=user,
                                   view=bot.standin.home[user]).status == 200
    reopened = wait_call(bot, "chat.postMessage", user, is_card)
    assert persona_id(reopened.params) == opener["value"]

    home = bot.standin.home[user]
    assert bot.sender.block_action("home_set_lang", "zh-CN", user_id=user, view=home).status == 200
    chinese = bot.standin.wait_for("views.publish", lambda c: c.params.get("user_id") == user
                                   and "你最近的用户画像" in text_of(_view(c.params)))
    select = next(b for b in _view(chinese.params)["blocks"] if b.get("block_id") == "home_lang")["elements"][0]
    assert select["initial_option"]["value"] == "zh-CN"

    # The choice sticks: the next card is in Simplified Chinese.
    card = slash_card(bot, "fitness enthusiasts", user=user, channel="C0HOME2", name="home-card-2")
    assert "基本属性" in text_of(card)


# --- Share to channel --------------------------------------------------------------------------------------------


def test_share_posts_the_same_card_publicly_even_where_the_app_is_not_a_member(bot: Harness) -> None:
    user, channel = "U0SHARE1", "C0SHARE1"
    bot.standin.add_channel(channel, is_member=False)
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="share")
    click(bot, "persona_share", card, user=user, channel=channel, name="share-click")
    posted = wait_call(bot, "chat.postMessage", channel, is_card)
    assert posted.ok, posted.response
    # Not regenerated: the same persona, minus the share button.
    assert persona_id(posted.params) == persona_id(card)
    assert "persona_share" not in action_ids(posted.params)
    assert blocks_of(posted.params)[0] == card["blocks"][0]
    # A shared card keeps its source and coverage but not the model and prompt version.
    footer = next(b for b in blocks_of(posted.params) if b.get("block_id") == "persona_footer")
    assert "Source:" in str(footer) and "prompt" not in str(footer)
    # The private copy collapses to a note, so the card does not show twice.
    confirmation = wait_url(bot, "share-click")
    assert confirmation["response_type"] == "ephemeral" and confirmation["replace_original"] is True
    assert f"<#{channel}>" in confirmation["text"] and "blocks" not in confirmation
    public = [m for m in bot.standin.messages(channel) if not m["ephemeral_user"]]
    assert [persona_id(m) for m in public] == [persona_id(card)]


@pytest.mark.parametrize(
    ("channel", "setup", "error", "says"),
    [
        ("C0SHAREARC", {"is_archived": True}, "is_archived", "archived"),
        ("G0SHAREPRIV", {"is_private": True, "is_member": False}, "channel_not_found", "private"),
    ],
)
def test_share_explains_when_slack_refuses(bot: Harness, channel: str, setup: dict[str, bool], error: str,
                                           says: str) -> None:
    user = "U0" + channel[1:]
    bot.standin.add_channel(channel, **setup)
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name=f"refuse-{channel}")
    click(bot, "persona_share", card, user=user, channel=channel, name=f"refuse-click-{channel}")
    refused = wait_call(bot, "chat.postMessage", channel)
    assert refused.response == {"ok": False, "error": error}
    answer = wait_url(bot, f"refuse-click-{channel}")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert says in answer["text"]
    assert [m for m in bot.standin.messages(channel) if not m["ephemeral_user"]] == []


# --- follow-ups --------------------------------------------------------------------------------------------------


def test_partnership_ideas_go_into_the_thread_of_a_public_card(bot: Harness) -> None:
    user, channel = "U0PART1", "C0PART1"
    card = shared_card(bot, user=user, channel=channel, name="part")
    click(bot, "persona_partnership", card, user=user, channel=channel, name="part-click")
    submit_product(bot, "part-click", user=user)
    working = wait_call(bot, "chat.postMessage", channel, lambda p: p.get("thread_ts") == card["ts"])
    answer = wait_call(bot, "chat.update", channel, lambda p: not is_card(p) and "Partnership ideas" in text_of(p))
    assert answer.params["ts"] == working.response["ts"]
    thread = bot.standin.messages(channel, thread_ts=card["ts"])
    assert [m["ts"] for m in thread] == [card["ts"], working.response["ts"]]
    assert "Offline draft" in text_of(thread[1]) and has_block(answer.params, "followup_feedback")
    assert url_posts(bot, "part-click") == []
    assert bot.standin.calls_to("chat.startStream") == []  # offline, nothing streams


def test_partnership_ideas_for_an_ephemeral_card_come_as_a_new_ephemeral_message(bot: Harness) -> None:
    user, channel = "U0PARTE1", "C0PARTE1"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="parte")
    click(bot, "persona_partnership", card, user=user, channel=channel, name="parte-click")
    submit_product(bot, "parte-click", user=user)
    answer = wait_url(bot, "parte-click")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "Partnership ideas" in text_of(answer)
    # The card stays as it was, next to the answer.
    mine = [m for m in bot.standin.messages(channel) if m["ephemeral_user"] == user]
    assert [is_card(m) for m in mine] == [True, False]
    assert [m for m in bot.standin.messages(channel) if not m["ephemeral_user"]] == []


def test_competitor_analysis_asks_for_the_product_then_answers_in_the_thread(bot: Harness) -> None:
    user, channel = "U0COMP1", "C0COMP1"
    card = shared_card(bot, user=user, channel=channel, name="comp")
    click(bot, "persona_competitor", card, user=user, channel=channel, name="comp-click")
    opened = bot.standin.wait_for("views.open", lambda c: _view(c.params).get("callback_id") == "competitor_modal"
                                  and channel in _view(c.params).get("private_metadata", ""))
    view = opened.response["view"]
    assert [b["block_id"] for b in view["blocks"]] == ["product_block"]
    values = {"product_block": {"product_input": {"type": "plain_text_input", "value": "FitFuel <!channel> 蛋白飲"}}}
    assert bot.sender.view_submission(view, values, user_id=user).status == 200
    answer = wait_call(bot, "chat.update", channel, lambda p: "Competitor analysis" in text_of(p))
    assert answer.ok
    heading = blocks_of(answer.params)[0]["text"]["text"]
    assert "FitFuel" in heading and "蛋白飲" in heading and "<!channel>" not in heading
    reply = model_message(bot, channel, answer.params["ts"])
    assert reply["thread_ts"] == card["ts"]


def test_competitor_analysis_of_an_ephemeral_card_comes_privately(bot: Harness) -> None:
    user, channel = "U0COMPE1", "C0COMPE1"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="compe")
    click(bot, "persona_competitor", card, user=user, channel=channel, name="compe-click")
    opened = bot.standin.wait_for("views.open", lambda c: channel in _view(c.params).get("private_metadata", ""))
    # Nike Run Club is on the sample's list for fitness enthusiasts in Taipei.
    values = {"product_block": {"product_input": {"type": "plain_text_input", "value": "Nike Run Club"}}}
    assert bot.sender.view_submission(opened.response["view"], values, user_id=user).status == 200
    answer = wait_url(bot, "compe-click")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "Competitor analysis — Nike Run Club" in text_of(answer)
    # The offline analysis finds the product among the apps.
    assert "Nike Run Club is already on their list" in text_of(answer)


def test_a_follow_up_on_a_card_in_a_thread_stays_in_that_thread(bot: Harness) -> None:
    user, channel = "U0PARTT1", "C0PARTT1"
    said = bot.standin.post_user_message(channel, user, "<@U0BOT> fitness enthusiasts")
    bot.sender.app_mention("<@U0BOT> fitness enthusiasts", channel=channel, user=user, ts=said["ts"])
    update = wait_call(bot, "chat.update", channel, is_card)
    card = model_message(bot, channel, update.params["ts"])
    click(bot, "persona_partnership", card, user=user, channel=channel, name="partt-click")
    submit_product(bot, "partt-click", user=user)
    # The card's own update carries a "Partnership ideas" button: wait for the answer, not for the card.
    wait_call(bot, "chat.update", channel, lambda p: not is_card(p) and "Partnership ideas" in text_of(p))
    thread = bot.standin.messages(channel, thread_ts=said["ts"])
    assert [m["ts"] for m in thread][:2] == [said["ts"], card["ts"]] and len(thread) == 3
    assert bot.standin.messages(channel) == [m for m in thread if m["ts"] == said["ts"]]


def test_a_modal_slack_will_not_open_is_explained(bot: Harness) -> None:
    user, channel = "U0NOMODAL1", "C0NOMODAL1"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="nomodal")
    bot.standin.fail_next("views.open", "expired_trigger_id")
    click(bot, "persona_competitor", card, user=user, channel=channel, name="nomodal-click")
    answer = wait_url(bot, "nomodal-click")
    assert "try again" in answer["text"] and answer["replace_original"] is False
    failed = bot.standin.calls_to("views.open")[-1]
    assert failed.response["error"] == "expired_trigger_id"


# --- regenerate, feedback, export -------------------------------------------------------------------------------


def test_regenerate_replaces_a_public_card_with_a_new_persona(bot: Harness) -> None:
    user, channel = "U0REGEN1", "C0REGEN1"
    card = shared_card(bot, user=user, channel=channel, name="regen")
    old = persona_id(card)
    click(bot, "persona_regenerate", card, user=user, channel=channel, name="regen-click")
    update = wait_call(bot, "chat.update", channel, lambda p: is_card(p))
    assert update.params["ts"] == card["ts"]
    assert persona_id(update.params) != old
    assert [persona_id(m) for m in bot.standin.messages(channel) if not m["ephemeral_user"]] == [
        persona_id(update.params)
    ]


def test_regenerate_replaces_an_ephemeral_card_through_the_response_url(bot: Harness) -> None:
    user, channel = "U0REGENE1", "C0REGENE1"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="regene")
    click(bot, "persona_regenerate", card, user=user, channel=channel, name="regene-click")
    new = wait_url(bot, "regene-click", is_card)
    assert new["replace_original"] is True and new["response_type"] == "ephemeral"
    assert persona_id(new) != persona_id(card)
    assert "persona_share" in action_ids(new)
    mine = [m for m in bot.standin.messages(channel) if m["ephemeral_user"] == user]
    assert [persona_id(m) for m in mine] == [persona_id(new)]


def vote(h: Harness, message: dict[str, Any], kind: str, *, user: str, channel: str, name: str) -> None:
    """A click on the card's 👍 (`kind="up"`) or 👎 in its feedback buttons."""
    element = next(e for b in message["blocks"] if b["type"] == "context_actions" for e in b["elements"])
    value = element["positive_button" if kind == "up" else "negative_button"]["value"]
    click(h, "persona_feedback", message, user=user, channel=channel, name=name, value=value)


def test_regenerate_without_a_model_says_the_draft_is_deterministic_and_how_to_configure_one(bot: Harness) -> None:
    user, channel = "U0REGENO1", "C0REGENO1"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="regeno")
    click(bot, "persona_regenerate", card, user=user, channel=channel, name="regeno-click")
    new = wait_url(bot, "regeno-click", is_card)
    note = wait_url(bot, "regeno-click", lambda p: "OPENAI_API_KEY" in p.get("text", ""))
    assert note["replace_original"] is False and "deterministic" in note["text"]
    assert new["blocks"][1:] and persona_id(new) != persona_id(card)


def test_the_card_shows_the_top_apps_and_all_of_them_on_request(bot: Harness) -> None:
    user, channel = "U0MOREAPPS", "C0MOREAPPS"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="more")
    apps = next(b for b in card["blocks"] if b["block_id"] == "persona_apps")
    assert len([line for line in apps["text"]["text"].splitlines() if line[:1] in "●○"]) == 5
    assert apps["accessory"]["action_id"] == "persona_more_apps"
    click(bot, "persona_more_apps", card, user=user, channel=channel, name="more-click",
          value=apps["accessory"]["value"])
    listed = wait_url(bot, "more-click", lambda p: "Grounded on" in p.get("text", ""))
    assert listed["replace_original"] is False
    assert len([line for line in listed["text"].splitlines() if line[:1] in "●○"]) == 10


def test_feedback_is_acknowledged_privately(bot: Harness) -> None:
    user, channel = "U0FEED1", "C0FEED1"
    card = shared_card(bot, user=user, channel=channel, name="feed")
    vote(bot, card, "up", user=user, channel=channel, name="feed-up")
    thanks = wait_call(bot, "chat.postEphemeral", channel)
    assert thanks.params["user"] == user and "Thanks" in thanks.params["text"]
    assert thanks.params.get("thread_ts") is None  # the card is in the channel, so is the thanks

    # Where Slack will not take an ephemeral message from the app, the click's response_url still reaches the user.
    bot.standin.fail_next("chat.postEphemeral", "not_in_channel")
    vote(bot, card, "down", user=user, channel=channel, name="feed-refused")
    assert "Thanks" in wait_url(bot, "feed-refused")["text"]

    ephemeral = slash_card(bot, "fitness enthusiasts", user=user, channel="C0FEED2", name="feed-2")
    vote(bot, ephemeral, "down", user=user, channel="C0FEED2", name="feed-down")
    answer = wait_url(bot, "feed-down")
    assert "Thanks" in answer["text"] and answer["replace_original"] is False
    # Each vote was recorded with the persona it was on and the button that was pressed.
    votes = [json.loads(line) for line in bot.logs().splitlines() if '"feedback"' in line and user in line]
    assert [(v["persona_id"], v["vote"]) for v in votes] == [
        (persona_id(card), "up"), (persona_id(card), "down"), (persona_id(ephemeral), "down")]


def has_charts(params: dict[str, Any]) -> bool:
    return any(b.get("type") == "data_visualization" for b in blocks_of(params))


def test_the_card_draws_age_and_gender_as_charts(bot: Harness) -> None:
    card = slash_card(bot, "fitness enthusiasts", user="U0CHART0", channel="C0CHART0", name="chart-0")
    charts = [b for b in card["blocks"] if b["type"] == "data_visualization"]
    assert [c["chart"]["type"] for c in charts] == ["bar", "pie"]
    line = next(b for b in card["blocks"] if b.get("block_id") == "persona_demographics")["elements"][0]["text"]
    for point in charts[0]["chart"]["series"][0]["data"]:
        assert f"{point['label']} {point['value']:.1f}%" in line


def test_a_workspace_whose_slack_refuses_charts_gets_the_card_without_them(bot: Harness) -> None:
    user, channel = "U0CHART1", "C0CHART1"
    # A workspace of its own, so the refusal the bot remembers does not change other tests' cards.
    sender = SlackRequestSender(f"{bot.url}/slack/events", SIGNING_SECRET, "T0NOCHARTS",
                                response_url_factory=bot.standin.response_url)

    def card_for(name: str) -> list[Call]:
        sender.slash_command("fitness enthusiasts", user_id=user, channel_id=channel,
                             response_url=response_url(bot, name, channel, user))
        bot.standin.wait_for("response_url", lambda c: c.path == f"/response_url/{name}" and c.status == 200
                             and is_card(c.params), timeout=20)
        calls = bot.standin.calls_to("response_url")
        return [c for c in calls if c.path == f"/response_url/{name}" and is_card(c.params)]

    bot.standin.refuse_charts()
    try:
        first = card_for("nochart-1")
        # Slack refused the card with charts; the same card came again without them.
        assert [(c.status, c.response.get("error"), has_charts(c.params)) for c in first] == [
            (400, "invalid_blocks", True), (200, None, False)]
        assert "charts_refused" in bot.logs()
        # The workspace is remembered: its next card is sent without charts at once.
        second = card_for("nochart-2")
        assert [(c.status, has_charts(c.params)) for c in second] == [(200, False)]
    finally:
        bot.standin.refuse_charts(False)


def _exported(h: Harness, channel: str) -> list[dict[str, Any]]:
    h.standin.wait_for("files.completeUploadExternal", lambda c: c.params.get("channel_id") == channel)
    return [f for f in h.standin.files if f["channel_id"] == channel]


def test_export_menu_uploads_markdown_csv_and_a_slide_into_the_cards_thread(bot: Harness) -> None:
    user, channel = "U0EXP1", "C0EXP1"
    card = shared_card(bot, user=user, channel=channel, name="exp")
    pid = persona_id(card)
    for n, fmt in enumerate(("markdown", "csv", "pptx")):
        click(bot, "persona_export", card, user=user, channel=channel, name=f"exp-click-{fmt}", value=f"{fmt}:{pid}")
        deadline = time.monotonic() + 20  # one upload after the other, so the files are told apart by order
        while len([f for f in bot.standin.files if f["channel_id"] == channel]) <= n:
            assert time.monotonic() < deadline, f"no {fmt} upload"
            time.sleep(0.05)
    files = _exported(bot, channel)
    assert sorted(f["name"] for f in files) == [f"persona-{pid}.csv", f"persona-{pid}.md", f"persona-{pid}.pptx"]
    assert {f["thread_ts"] for f in files} == {card["ts"]}
    markdown = next(f for f in files if f["name"].endswith(".md"))["content"].decode()
    assert markdown.startswith("# Fitness enthusiasts in Taipei")
    rows = list(csv.reader(io.StringIO(next(f for f in files if f["name"].endswith(".csv"))["content"].decode())))
    assert rows[0] == ["section", "key", "value"] and ["persona", "id", pid] in rows
    # The slide's age chart holds the card's own figures (the CSV's age rows).
    deck = Presentation(io.BytesIO(next(f for f in files if f["name"].endswith(".pptx"))["content"]))
    charts = [shape.chart for shape in deck.slides[0].shapes if shape.has_chart]
    age = next(c for c in charts if c.chart_title.text_frame.text == "Age").plots[0]
    assert [round(v, 1) for v in age.series[0].values] == [float(r[2]) for r in rows if r[0] == "age"]


def test_an_export_button_of_an_older_card_still_gives_markdown_and_csv(bot: Harness) -> None:
    user, channel = "U0EXPO1", "C0EXPO1"
    card = shared_card(bot, user=user, channel=channel, name="expo")
    pid = persona_id(card)
    resp = bot.sender.block_action("persona_export", pid, user_id=user, channel_id=channel, message=card,
                                   action_type="button",
                                   response_url=response_url(bot, "expo-click", channel, user, message_ts=card["ts"]))
    assert resp.status == 200
    files = _exported(bot, channel)
    assert sorted(f["name"] for f in files) == [f"persona-{pid}.csv", f"persona-{pid}.md"]


def test_export_of_an_ephemeral_card_goes_to_the_users_dm(bot: Harness) -> None:
    user, channel = "U0EXPE1", "C0EXPE1"
    card = slash_card(bot, "=1+2 0.9, @SUM(A1) 0.8, Keep 0.6", user=user, channel=channel, name="expe")
    click(bot, "persona_export", card, user=user, channel=channel, name="expe-click",
          value=f"csv:{persona_id(card)}")
    files = _exported(bot, "D" + user[1:])
    assert [f["name"] for f in files] == [f"persona-{persona_id(card)}.csv"]
    assert {f["thread_ts"] for f in files} == {None}
    # Pasted names that a spreadsheet would run as formulas are exported as text.
    rows = list(csv.reader(io.StringIO(next(f for f in files if f["name"].endswith(".csv"))["content"].decode())))
    apps = [row[1] for row in rows if row[0] == "app"]
    assert apps == ["'=1+2", "'@SUM(A1)", "Keep"]


def test_export_where_the_app_cannot_share_files_goes_to_the_dm(bot: Harness) -> None:
    user, channel = "U0EXPN1", "C0EXPN1"
    bot.standin.add_channel(channel, is_member=False)
    card = shared_card(bot, user=user, channel=channel, name="expn")
    click(bot, "persona_export", card, user=user, channel=channel, name="expn-click",
          value=f"markdown:{persona_id(card)}")
    refused = wait_call(bot, "files.completeUploadExternal", channel)
    assert refused.response["error"] == "not_in_channel"
    note = wait_url(bot, "expn-click")
    assert note["response_type"] == "ephemeral" and "couldn't upload" in note["text"]
    files = _exported(bot, "D" + user[1:])
    assert [f["name"] for f in files] == [f"persona-{persona_id(card)}.md"]


def test_a_click_on_a_persona_the_app_no_longer_has_says_so(bot: Harness) -> None:
    user, channel = "U0GONE1", "C0GONE1"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="gone")
    click(bot, "persona_partnership", card, user=user, channel=channel, name="gone-click", value="0123456789abcdef")
    answer = wait_url(bot, "gone-click")
    assert "no longer available" in answer["text"] and answer["response_type"] == "ephemeral"
    click(bot, "persona_share", card, user=user, channel=channel, name="gone-share", value="0123456789abcdef")
    assert "no longer available" in wait_url(bot, "gone-share")["text"]
    assert [c for c in bot.standin.calls_to("chat.postMessage") if c.params.get("channel") == channel] == []

    # On a public card, too, only the user who clicked is told; the thread stays as it was.
    public = shared_card(bot, user=user, channel="C0GONE2", name="gone-2")
    click(bot, "persona_regenerate", public, user=user, channel="C0GONE2", name="gone-2-click", value="feedface")
    answer = wait_url(bot, "gone-2-click")
    assert "no longer available" in answer["text"] and answer["response_type"] == "ephemeral"
    assert [m["ts"] for m in bot.standin.messages("C0GONE2", include_replies=True) if not m["ephemeral_user"]] == [
        public["ts"]
    ]


# --- input the app cannot use as given ---------------------------------------------------------------------------


def test_an_unknown_segment_offers_the_closest_matches_as_buttons(bot: Harness) -> None:
    user, channel = "U0UNK1", "C0UNK1"
    url = response_url(bot, "unknown", channel, user)
    bot.sender.slash_command("parents", user_id=user, channel_id=channel, response_url=url)
    answer = wait_url(bot, "unknown", lambda p: has_block(p, "persona_suggestions"))
    assert "parents" in answer["text"]
    buttons = next(b for b in answer["blocks"] if b["block_id"] == "persona_suggestions")["elements"]
    assert [b["action_id"] for b in buttons] == [f"persona_pick_segment_{n}" for n in range(1, len(buttons) + 1)]
    assert buttons[0]["value"] == "seg_002"
    message = next(m for m in bot.standin.messages(channel) if m["ephemeral_user"] == user)
    click(bot, "persona_pick_segment_1", message, user=user, channel=channel, name="unknown-pick")
    card = wait_url(bot, "unknown-pick", is_card)
    assert card["replace_original"] is True
    assert card["blocks"][0]["text"]["text"] == "New parents in Taiwan"


def test_an_unknown_segment_in_a_thread_is_replaced_by_the_picked_card(bot: Harness) -> None:
    user, channel = "U0UNKT1", "C0UNKT1"
    said = bot.standin.post_user_message(channel, user, "<@U0BOT> parents")
    bot.sender.app_mention("<@U0BOT> parents", channel=channel, user=user, ts=said["ts"])
    suggestions = wait_call(bot, "chat.update", channel, lambda p: has_block(p, "persona_suggestions"))
    message = model_message(bot, channel, suggestions.params["ts"])
    click(bot, "persona_pick_segment_1", message, user=user, channel=channel, name="unknownt-pick")
    card = wait_call(bot, "chat.update", channel, is_card)
    assert card.params["ts"] == message["ts"]
    assert blocks_of(card.params)[0]["text"]["text"] == "New parents in Taiwan"


@pytest.mark.parametrize(("text", "name"), [("0.9, 0.8, 0.7", "nothing-scores"), ("!!! ??? ...", "nothing-marks")])
def test_a_paste_with_nothing_recognisable_gets_an_example(bot: Harness, text: str, name: str) -> None:
    user, channel = "U0NONE1", "C0NONE1"
    url = response_url(bot, name, channel, user)
    bot.sender.slash_command(text, user_id=user, channel_id=channel, response_url=url)
    answer = wait_url(bot, name, lambda p: has_block(p, "persona_error"))
    assert "recognise any apps" in answer["text"]
    assert has_block(answer, "persona_example") and "小红书 0.92" in text_of(answer)


# --- language and rate limits ------------------------------------------------------------------------------------


def test_the_slack_locale_picks_the_card_language(bot: Harness) -> None:
    user, channel = "U0ZHTW1", "C0ZHTW1"
    bot.standin.add_user(user, locale="zh-TW")
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="zhtw")
    assert "基本屬性" in text_of(card) and "合作點子" in text_of(card)
    lookup = bot.standin.wait_for("users.info", lambda c: c.params.get("user") == user)
    assert str(lookup.params.get("include_locale")).lower() in ("true", "1")


def test_without_the_locale_the_default_language_is_used(bot: Harness) -> None:
    user, channel = "U0NOLOC1", "C0NOLOC1"
    bot.standin.add_user(user, locale="zh-TW")
    bot.standin.fail_next("users.info", "missing_scope")
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="noloc")
    assert "Basic attributes" in text_of(card)
    assert bot.standin.calls_to("users.info")[-1].response["error"] == "missing_scope"


def test_a_rate_limited_post_is_retried_after_the_time_slack_asks_for(bot: Harness) -> None:
    user, channel = "U0RATE1", "C0RATE1"
    bot.standin.fail_next("chat.postMessage", retry_after=1)
    said = bot.standin.post_user_message(channel, user, "<@U0BOT> fitness")
    bot.sender.app_mention("<@U0BOT> fitness", channel=channel, user=user, ts=said["ts"])
    card = wait_call(bot, "chat.update", channel, is_card)
    posts = [c for c in bot.standin.calls_to("chat.postMessage") if c.params.get("channel") == channel]
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].time - posts[0].time >= 1.0
    assert card.params["ts"] == posts[1].response["ts"]


def test_requests_without_a_valid_signature_are_refused(bot: Harness) -> None:
    body, content_type = bot.sender.build_slash_command("fitness", user_id="U0SIG1", channel_id="C0SIG1")
    assert bot.sender.post(body, content_type, sign=False).status == 401
    assert bot.sender.post(body, content_type, timestamp=1_600_000_000).status == 401


# --- with a language model ---------------------------------------------------------------------------------------


def test_with_a_language_model_the_card_names_the_model(llm_bot: Harness, llm: FakeOpenAIServer) -> None:
    card = slash_card(llm_bot, "fitness enthusiasts", user="U0LLM1", channel="C0LLM1", name="llm")
    assert "gpt-4.1-mini" in footer(card)
    assert "Offline draft" not in footer(card)
    assert "persona_retry" not in action_ids(card)
    assert any("segment_data" in r.last_user_message for r in llm.requests)


def test_when_the_language_model_fails_the_card_is_an_offline_draft_with_retry(llm_bot: Harness,
                                                                              llm: FakeOpenAIServer) -> None:
    user, channel = "U0LLMF1", "C0LLMF1"
    llm.handler = lambda body: Reply.status_code(500, {"error": {"message": "boom", "type": "server_error"}})
    try:
        # Another segment than the test above: that persona is cached now and would not ask the model at all.
        card = slash_card(llm_bot, "new parents", user=user, channel=channel, name="llmf")
    finally:
        llm.handler = None
    assert "Offline draft" in footer(card)
    # The note says what happened in the user's terms; the server's own message stays in the logs.
    assert "The language model server failed (HTTP 500)." in footer(card) and "boom" not in footer(card)
    assert "persona_retry" in action_ids(card)
    # Retry once the model answers again: a new card from the model replaces the draft.
    click(llm_bot, "persona_retry", card, user=user, channel=channel, name="llmf-retry")
    retried = wait_url(llm_bot, "llmf-retry", is_card)
    assert retried["replace_original"] is True
    assert "gpt-4.1-mini" in footer(retried) and "Offline draft" not in footer(retried)
    assert persona_id(retried) != persona_id(card)


def test_follow_ups_with_a_language_model_use_its_answer(llm_bot: Harness, llm: FakeOpenAIServer) -> None:
    user, channel = "U0LLMP1", "C0LLMP1"
    card = slash_card(llm_bot, "fitness enthusiasts", user=user, channel=channel, name="llmp")
    llm.enqueue(Reply.json({"summary": "Team up with gyms.", "points": ["Co-branded classes at World Gym"],
                            "next_actions": ["Call the World Gym partnership team"]}))
    click(llm_bot, "persona_partnership", card, user=user, channel=channel, name="llmp-click")
    submit_product(llm_bot, "llmp-click", "FitFuel protein drinks", user=user)
    answer = wait_url(llm_bot, "llmp-click")
    assert "Team up with gyms." in text_of(answer) and "World Gym" in text_of(answer)
    assert "gpt-4.1-mini" in text_of(answer)
    # An ephemeral card's thread cannot be streamed into: the report came whole, asked for as JSON.
    assert not [c for c in llm_bot.standin.calls_to("chat.startStream") if c.params.get("channel") == channel]
    assert "stream" not in llm.requests[-1].body


# --- streamed follow-ups ------------------------------------------------------------------------------------------

REPORT = ("Team up with the apps they already train with.\n"
          "- Keep: co-branded recovery plans with a FitFuel shake after each session\n"
          "- Strava: a monthly distance challenge where FitFuel rewards finishers\n"
          "→ Email the Keep partnership team this week\n"
          "→ Draft the Strava challenge brief")


def stream_calls(h: Harness, ts: str) -> list[Call]:
    """The chat.startStream that made message `ts`, and the appendStream / stopStream calls that went on with it."""
    return [c for c in h.standin.calls if c.ok and c.method in ("chat.startStream", "chat.appendStream",
                                                                 "chat.stopStream")
            and (c.response.get("ts") if c.method == "chat.startStream" else c.params.get("ts")) == ts]


def streamed_text(h: Harness, ts: str) -> str:
    return "".join(chunk["text"] for c in stream_calls(h, ts) for chunk in c.params.get("chunks") or [])


def partnership_ideas(h: Harness, llm: FakeOpenAIServer, text: str, *, user: str, channel: str, product: str,
                      slack_fails: tuple[str, str] | None = None) -> dict[str, Any]:
    """A public card, then Partnership ideas on it while the model streams `text` (and Slack answers the next call
    to `slack_fails[0]` with the error `slack_fails[1]`); returns the card."""
    card = shared_card(h, user=user, channel=channel, name=user.lower())
    if slack_fails:
        h.standin.fail_next(*slack_fails)
    llm.enqueue(Reply.text(text))
    click(h, "persona_partnership", card, user=user, channel=channel, name=f"{user.lower()}-click")
    submit_product(h, f"{user.lower()}-click", product, user=user)
    return card


def streamed_follow_up(h: Harness, llm: FakeOpenAIServer, text: str, *, user: str, channel: str,
                       product: str) -> tuple[dict[str, Any], Call, Call]:
    """`partnership_ideas` streamed: the card, the stream's start and its stop."""
    card = partnership_ideas(h, llm, text, user=user, channel=channel, product=product)
    start = wait_call(h, "chat.startStream", channel, lambda p: p.get("thread_ts") == card["ts"], timeout=30)
    stop = h.standin.wait_for("chat.stopStream", lambda c: c.params.get("ts") == start.response["ts"], 30)
    return card, start, stop


def test_a_follow_up_with_a_model_streams_into_the_cards_thread_and_ends_with_feedback(
        llm_bot: Harness, llm: FakeOpenAIServer) -> None:
    user, channel = "U0FSTR1", "C0FSTR1"
    card, start, stop = streamed_follow_up(llm_bot, llm, REPORT, user=user, channel=channel,
                                           product="FitFuel protein shakes")
    # In a channel Slack must know whom the stream is for.
    assert start.params["recipient_user_id"] == user and start.params["recipient_team_id"] == "T0001"
    ts = start.response["ts"]
    assert [c.method for c in stream_calls(llm_bot, ts)].count("chat.appendStream") >= 1
    assert streamed_text(llm_bot, ts) == f"**Partnership ideas — FitFuel protein shakes**\n\n{REPORT}"
    ends = {b.get("block_id"): b for b in blocks_of(stop.params)}
    assert ends["followup_feedback"]["type"] == "context_actions"
    assert ends["followup_feedback"]["elements"][0]["positive_button"]["value"] == f"up:{persona_id(card)}"
    assert "gpt-4.1-mini" in json.dumps(ends["followup_footer"])
    # The model was asked for text in the streamed layout, with the product as data.
    sent = llm.requests[-1].body
    assert sent["stream"] is True and "→" in sent["messages"][0]["content"]
    assert "FitFuel protein shakes" in sent["messages"][1]["content"]
    # The "working" message gave way to the stream: the thread is the card and the streamed report, unchanged.
    thread = llm_bot.standin.messages(channel, thread_ts=card["ts"])
    assert [m["ts"] for m in thread] == [card["ts"], ts] and thread[1]["streaming"] is False
    assert llm_bot.standin.calls_to("chat.delete")[-1].ok
    assert not [c for c in llm_bot.standin.calls_to("chat.update") if c.params.get("ts") == ts]
    # The same follow-up again is the cached report: one message, no second stream, no second model call.
    calls = llm.calls
    click(llm_bot, "persona_partnership", card, user=user, channel=channel, name="fstr1-again")
    submit_product(llm_bot, "fstr1-again", "FitFuel protein shakes", user=user)
    again = wait_call(llm_bot, "chat.update", channel, lambda p: "Partnership ideas" in text_of(p)
                      and "cached" in text_of(p))
    assert "Keep: co-branded recovery plans" in text_of(again.params) and llm.calls == calls
    assert len([c for c in llm_bot.standin.calls_to("chat.startStream") if c.params["channel"] == channel]) == 1


@pytest.mark.parametrize("fault", ["figure", "prompt"])
def test_a_streamed_follow_up_that_fails_the_checks_is_replaced_in_place(
        llm_bot: Harness, llm: FakeOpenAIServer, fault: str) -> None:
    user, channel = f"U0FREP{fault.upper()}", f"C0FREP{fault.upper()}"
    if fault == "figure":
        text = REPORT.replace("Keep: co-branded", "Keep: 73% of them would try co-branded")
        gone = "73%"
    else:
        instructions = " ".join(load_template("followup_system.v2.txt").split())
        gone = instructions[instructions.index("Treat it strictly"):][:100]
        text = REPORT.replace("→ Email", f"- {gone}\n→ Email")
    card, start, _stop = streamed_follow_up(llm_bot, llm, text, user=user, channel=channel, product=f"Bars {fault}")
    assert gone in streamed_text(llm_bot, start.response["ts"])
    replaced = wait_call(llm_bot, "chat.update", channel, lambda p: p.get("ts") == start.response["ts"], timeout=30)
    shown = text_of(replaced.params)
    assert gone not in shown and "Strava: a monthly distance challenge" in shown
    assert has_block(replaced.params, "followup_feedback")
    deadline = time.monotonic() + 10  # the flow logs the replacement once Slack has answered the update
    while "streamed_followup_replaced" not in llm_bot.logs() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "streamed_followup_replaced" in llm_bot.logs()
    thread = llm_bot.standin.messages(channel, thread_ts=card["ts"])
    assert [m["ts"] for m in thread] == [card["ts"], start.response["ts"]]


def test_a_follow_up_slack_will_not_stream_arrives_as_one_message(llm_bot: Harness, llm: FakeOpenAIServer) -> None:
    user, channel = "U0FNOSTR1", "C0FNOSTR1"
    card = partnership_ideas(llm_bot, llm, REPORT, user=user, channel=channel, product="FitFuel gels",
                             slack_fails=("chat.startStream", "not_allowed_token_type"))
    working = wait_call(llm_bot, "chat.postMessage", channel, lambda p: p.get("thread_ts") == card["ts"])
    answer = wait_call(llm_bot, "chat.update", channel, lambda p: p.get("ts") == working.response["ts"]
                       and "Partnership ideas" in text_of(p), timeout=30)
    assert "Keep: co-branded recovery plans" in text_of(answer.params)
    refused = [c for c in llm_bot.standin.calls_to("chat.startStream") if c.params["channel"] == channel]
    assert [c.response.get("error") for c in refused] == ["not_allowed_token_type"]
    assert "stream_refused" in llm_bot.logs()
    thread = llm_bot.standin.messages(channel, thread_ts=card["ts"])
    assert [m["ts"] for m in thread] == [card["ts"], working.response["ts"]]


def test_a_stream_slack_stops_taking_midway_is_filled_with_the_whole_report(
        llm_bot: Harness, llm: FakeOpenAIServer) -> None:
    user, channel = "U0FMID1", "C0FMID1"
    card = partnership_ideas(llm_bot, llm, REPORT, user=user, channel=channel, product="FitFuel bars",
                             slack_fails=("chat.appendStream", "message_not_in_streaming_state"))
    start = wait_call(llm_bot, "chat.startStream", channel, lambda p: p.get("thread_ts") == card["ts"], timeout=30)
    filled = wait_call(llm_bot, "chat.update", channel, lambda p: p.get("ts") == start.response["ts"], timeout=30)
    shown = text_of(filled.params)
    assert "Keep: co-branded recovery plans" in shown and "Draft the Strava challenge brief" in shown
    assert has_block(filled.params, "followup_feedback") and "stream_refused" in llm_bot.logs()
    thread = llm_bot.standin.messages(channel, thread_ts=card["ts"])
    assert [m["ts"] for m in thread] == [card["ts"], start.response["ts"]]


def test_a_second_identical_request_gets_the_cached_card(bot: Harness) -> None:
    first = slash_card(bot, "pet owners", user="U0CACHE1", channel="C0CACHE1", name="cache1")
    second = slash_card(bot, "寵物飼主", user="U0CACHE2", channel="C0CACHE2", name="cache2")
    assert "cached" not in footer(first)
    assert "cached" in footer(second)
    # Same persona (same id in every button), not a new generation.
    assert {e.get("value") for b in blocks_of(first) for e in b.get("elements", []) if e.get("type") == "button"} == {
        e.get("value") for b in blocks_of(second) for e in b.get("elements", []) if e.get("type") == "button"
    }


def test_text_slack_escaped_is_read_as_the_user_typed_it(bot: Harness) -> None:
    user, channel = "U0AMP1", "C0AMP1"
    # Slack sends "H&M 0.9, Keep 0.8 <3" as below; unread, the `;` of `&amp;` would split H&M in two.
    card = slash_card(bot, "H&amp;M 0.9, Keep 0.8, A&lt;B&gt;C 0.7", user=user, channel=channel, name="amp")
    grounding = next(b for b in card["blocks"] if b.get("block_id") == "persona_apps")["text"]["text"]
    assert "Grounded on 3 apps" in grounding
    # Shown escaped once, so Slack displays "H&M" and "A<B>C" again.
    assert "H&amp;M" in grounding and "A&lt;B&gt;C" in grounding and "&amp;amp;" not in grounding
