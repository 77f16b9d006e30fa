"""Compare through signed requests to the real bot process: `/persona compare`, and the card's button → modal →
table in the card's thread. Every payload Slack receives is checked against Block Kit's limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_slack_app import (
    _view,
    click,
    model_message,
    persona_id,
    response_url,
    shared_card,
    slash_card,
    wait_call,
)
from tests.support.block_limits import violations
from tests.support.slack_harness import Harness, blocks_of, running_bot, wait_url


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Harness]:
    with running_bot(tmp_path_factory.mktemp("slack-compare"), sample_warehouse_file) as harness:
        yield harness
        assert harness.standin.internal_errors == []
        assert "Traceback" not in harness.logs()


def is_comparison(payload: dict[str, Any]) -> bool:
    return any(b.get("type") == "table" for b in blocks_of(payload))


def table_rows(payload: dict[str, Any]) -> list[list[str]]:
    table = next(b for b in blocks_of(payload) if b.get("type") == "table")
    return [[cell["text"] for cell in row] for row in table["rows"]]


def test_slash_compare_answers_with_a_table(bot: Harness) -> None:
    user, channel = "U0CMP1", "C0CMP1"
    # Slack sends `&` as `&amp;`: the name still finds its segment.
    resp = bot.sender.slash_command("compare K-drama &amp; streaming bingers, Mobile gamers in mainland China",
                                    user_id=user,
                                    channel_id=channel, response_url=response_url(bot, "cmp", channel, user))
    assert resp.status == 200 and resp.body == ""
    answer = wait_url(bot, "cmp", is_comparison)
    assert answer["response_type"] == "ephemeral" and violations(answer) == []
    rows = table_rows(answer)
    assert rows[0][1:] == ["K-drama & streaming bingers", "Mobile gamers in mainland China"]
    assert rows[1][0] == "Size" and all(cell.replace(",", "").isdigit() for cell in rows[1][1:])
    assert any(r[0].startswith("Overlap with") for r in rows)
    assert "What sets each apart" in json.dumps(answer["blocks"])


def test_slash_compare_with_an_unknown_segment_says_did_you_mean(bot: Harness) -> None:
    user, channel = "U0CMP2", "C0CMP2"
    bot.sender.slash_command("compare fitness, gamerz club", user_id=user, channel_id=channel,
                             response_url=response_url(bot, "cmp-unknown", channel, user))
    answer = wait_url(bot, "cmp-unknown", lambda p: "persona_suggestions" in json.dumps(p.get("blocks", [])))
    assert "gamerz" in answer["text"] and "Mobile gamers" in json.dumps(answer["blocks"])
    bot.sender.slash_command("compare fitness", user_id=user, channel_id=channel,
                             response_url=response_url(bot, "cmp-one", channel, user))
    assert "2 to 4 segments" in json.dumps(wait_url(bot, "cmp-one", lambda p: "2 to 4" in json.dumps(p)))


def _open_compare_modal(bot: Harness, card: dict[str, Any], *, user: str, channel: str, name: str) -> dict[str, Any]:
    click(bot, "persona_compare", card, user=user, channel=channel, name=name)
    opened = bot.standin.wait_for("views.open", lambda c: _view(c.params).get("callback_id") == "compare_modal"
                                  and channel in _view(c.params).get("private_metadata", ""))
    assert opened.ok, opened.response
    view = opened.response["view"]
    assert violations(view, kind="modal") == []
    return view


def test_compare_button_opens_the_picker_and_answers_in_the_cards_thread(bot: Harness) -> None:
    user, channel = "U0CMP3", "C0CMP3"
    card = shared_card(bot, user=user, channel=channel, name="cmp-card")
    view = _open_compare_modal(bot, card, user=user, channel=channel, name="cmp-click")
    pickers = [b for b in view["blocks"] if b["type"] == "input"]
    actions = [b["element"]["action_id"] for b in pickers]
    assert actions == ["segment_picker", "segment_picker_2", "segment_picker_3"]

    # The picker's own typeahead answers every picker of the compare modal.
    for action in actions:
        options = bot.sender.block_suggestion(action, "手遊", view=view, user_id=user).json()["options"]
        assert options[0]["value"] == "seg_004"

    # Nothing picked (or only the card's own segment): the modal stays open with the reason.
    refused = bot.sender.view_submission(view, {}, user_id=user).json()
    assert refused["response_action"] == "errors" and "compare_segment_1" in refused["errors"]

    values = {"compare_segment_1": {"segment_picker": {"type": "external_select", "selected_option": options[0]}}}
    assert bot.sender.view_submission(view, values, user_id=user).status == 200
    # "Working" in the card's thread, then replaced by the comparison.
    updated = wait_call(bot, "chat.update", channel, is_comparison)
    assert updated.ok, updated.response
    reply = model_message(bot, channel, updated.params["ts"])
    assert reply["thread_ts"] == card["ts"] and is_comparison(reply)
    rows = table_rows(updated.params)
    assert rows[0][1:] == ["Fitness enthusiasts in Taipei", "Mobile gamers"]


def test_compare_from_an_ephemeral_card_leaves_the_card_in_place(bot: Harness) -> None:
    user, channel = "U0CMP4", "C0CMP4"
    card = slash_card(bot, "fitness enthusiasts", user=user, channel=channel, name="cmp-eph")
    assert persona_id(card)
    view = _open_compare_modal(bot, card, user=user, channel=channel, name="cmp-eph-click")
    option = {"text": {"type": "plain_text", "text": "New parents in Taiwan"}, "value": "seg_002"}
    values = {"compare_segment_2": {"segment_picker_2": {"type": "external_select", "selected_option": option}}}
    assert bot.sender.view_submission(view, values, user_id=user).status == 200
    answer = wait_url(bot, "cmp-eph-click", is_comparison)
    assert answer["replace_original"] is False and violations(answer) == []


def test_a_pasted_card_offers_no_compare(bot: Harness) -> None:
    card = slash_card(bot, "小红书 0.92, Keep 0.85, 美团 0.8", user="U0CMP5", channel="C0CMP5", name="cmp-paste")
    assert "persona_compare" not in json.dumps(card["blocks"])
