"""Slack's Block Kit limits, which the builders in this package fit every payload into.

Slack rejects a whole message for one oversized field (`invalid_blocks`, `msg_blocks_too_long`), and the error names
neither the block nor the limit, so the builders cut and fold text to these figures before anything is sent. The
tests check every payload against them independently (tests/support/block_limits.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.mrkdwn import length

MAX_BLOCKS = {"message": 50, "modal": 100}
MAX_FALLBACK_TEXT = 4000
# Slack has failed with msg_blocks_too_long around 13k characters of block text; stay clear of it.
MAX_TOTAL_TEXT = 12000
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
MAX_ID = 255
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT_OBJECT = 3000
MAX_MODAL_TITLE = 24

_TEXT_TYPES = ("plain_text", "mrkdwn")

def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every text object (`{"type": "plain_text"|"mrkdwn", "text": ...}`) nested anywhere in `value`."""
    if isinstance(value, dict):
        if value.get("type") in _TEXT_TYPES and isinstance(value.get("text"), str):
            yield value
            return
        for item in value.values():
            yield from text_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_objects(item)


def total_text(blocks: Any) -> int:
    """Characters of all text in `blocks`, as counted against the ~12k message ceiling."""
    return sum(length(obj["text"]) for obj in text_objects(blocks))

# Slack's table block (docs.slack.dev/reference/block-kit/blocks/table-block): rows, and cells per row (also the
# most column settings).
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20
