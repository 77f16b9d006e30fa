"""End to end through the real Bolt app in HTTP mode and the real Slack SDK, against the local Slack stand-in.

Every assertion is on what Slack would receive: payloads at the Web API and at response_urls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack_harness import Harness, action_ids, assert_slack_accepts, running_bot


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Harness]:
    with running_bot(tmp_path_factory.mktemp("slack"), sample_warehouse_file) as harness:
        yield harness


def _card_posts(h: Harness, after: int) -> list[dict]:
    return [p for p in h.response_posts(after) if "persona_actions" in json.dumps(p.get("blocks", []))]


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
