"""👍/👎 as Slack's `feedback_buttons` element in a `context_actions` block, on cards and on answers.

One element holds both buttons under one action id; the clicked button's `value` says the vote and the persona
(`up:<persona id>`), since the action payload carries only the value of the button that was pressed.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.mrkdwn import single_line, truncate
from bot.slack.blocks import limits

FEEDBACK_ACTION = "persona_feedback"
# Slack's documented limits for context_actions and a feedback button's accessibility label.
MAX_CONTEXT_ACTIONS_ELEMENTS = 5
MAX_ACCESSIBILITY_LABEL = 75


def _vote(kind: str, persona_id: str, lang: str, emoji_key: str, label_key: str) -> dict[str, Any]:
    value = f"{kind}:{persona_id}"
    if len(value) > limits.MAX_BUTTON_VALUE:
        raise ValueError(f"feedback value is longer than {limits.MAX_BUTTON_VALUE} characters")
    return {
        "text": {"type": "plain_text", "text": t(emoji_key, lang), "emoji": True},
        "accessibility_label": truncate(single_line(t(label_key, lang)), MAX_ACCESSIBILITY_LABEL) or kind,
        "value": value,
    }


def feedback_block(persona_id: str, lang: str, *, block_id: str = "persona_feedback") -> dict[str, Any]:
    return {
        "type": "context_actions",
        "block_id": block_id,
        "elements": [{
            "type": "feedback_buttons",
            "action_id": FEEDBACK_ACTION,
            "positive_button": _vote("up", persona_id, lang, "btn.feedback_up", "feedback.good"),
            "negative_button": _vote("down", persona_id, lang, "btn.feedback_down", "feedback.bad"),
        }],
    }


def parse_vote(value: str) -> tuple[str, str] | None:
    """`"up:<id>"` → `("up", id)`; None for anything else (a forged or foreign value)."""
    vote, _, persona_id = value.partition(":")
    return (vote, persona_id) if vote in ("up", "down") and persona_id else None
