"""The small Block Kit pieces every builder shares: plain-text objects cut to the limit of where they go, and the
shell of a modal view (Slack's limits: a modal's title, submit and close 24 characters, private_metadata 3,000)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import t
from bot.mrkdwn import single_line, truncate

MODAL_TEXT_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000


def plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def short_plain(text: str, limit: int = 75) -> dict[str, Any]:
    """A one-line plain_text object cut to `limit` (75 for an option or a button), never empty."""
    return plain_text(truncate(single_line(text), limit) or "…")


def modal_view(callback_id: str, lang: str, *, title: str, submit: str, private_metadata: str,
               blocks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata[:PRIVATE_METADATA_LIMIT],
        "title": short_plain(title, MODAL_TEXT_LIMIT),
        "submit": short_plain(submit, MODAL_TEXT_LIMIT),
        "close": short_plain(t("modal.close", lang), MODAL_TEXT_LIMIT),
        "blocks": list(blocks),
    }
