"""The building blocks of the persona card: Block Kit primitives, the headline and key facts, the folded app
list, the footer and the action rows. Each part is its own function so that others can change one (the
demographics, the buttons) without touching the card's layout in `card.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.followups.registry import kinds as followup_kinds
from bot.i18n import t
from bot.models import PersonaResult
from bot.mrkdwn import escape, length, single_line, truncate
from bot.slack.blocks import limits
from bot.text_render import format_time, source_line

Block = dict[str, Any]

_HASHTAG_LINE_LIMIT = 300
_NOTE_LIMIT = 300
_META_LIMIT = 80


def mrkdwn_text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def plain_label(text: str, limit: int, fallback: str) -> str:
    return truncate(single_line(text), limit) or truncate(single_line(fallback), limit) or "?"


def header(text: str, block_id: str) -> Block:
    return {"type": "header", "block_id": block_id, "text": plain_text(text)}


def section(text: str, block_id: str) -> Block:
    return {"type": "section", "block_id": block_id, "text": mrkdwn_text(text)}


def context(texts: Sequence[str], block_id: str) -> Block:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [mrkdwn_text(text) for text in texts[: limits.MAX_CONTEXT_ELEMENTS]],
    }


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    if length(value) > limits.MAX_BUTTON_VALUE:
        # Values are ids we generate; one this long is a bug upstream, and cutting it would break the handler.
        raise ValueError(f"button value for {action_id} is longer than {limits.MAX_BUTTON_VALUE} characters")
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(plain_label(label, limits.MAX_BUTTON_TEXT, action_id)),
        "value": value,
    }
    if style:
        button["style"] = style
    return button




def date_token(when: datetime) -> str:
    # Slack renders this in each reader's own time zone; the part after `|` is for clients that cannot.
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return f"<!date^{int(aware.timestamp())}^{{date_short_pretty}} {{time}}|{format_time(aware)}>"




def hashtag_lines(result: PersonaResult) -> list[str]:
    lines = []
    for group in (result.hashtags.zh, result.hashtags.en):
        tags = dict.fromkeys(tag.lstrip("#＃") for tag in map(single_line, group))
        line = " ".join(f"#{escape(tag)}" for tag in tags if tag)
        if line:
            lines.append(truncate(line, _HASHTAG_LINE_LIMIT))
    return lines




def footer(result: PersonaResult, cached_ago: str | None) -> list[str]:
    lang, meta = result.meta.lang, result.meta
    model = truncate(escape(single_line(meta.model)), _META_LIMIT) or "?"
    version = truncate(escape(single_line(meta.prompt_version)), _META_LIMIT) or "?"
    parts = [
        escape(source_line(result.demographics, lang)),
        t("model", lang, model=model, version=version),
        t("generated", lang, when=date_token(meta.generated_at)),
    ]
    ago = truncate(escape(single_line(cached_ago or "")), _META_LIMIT)
    if ago:
        parts.append(t("cached", lang, ago=ago))
    elif meta.cached:
        parts.append(t("cached", lang, ago="").strip())
    if meta.writer == "offline":
        parts.append(t("offline_draft", lang))
    if meta.truncated_input:
        parts.append(t("input_truncated", lang))
    note = truncate(escape(single_line(meta.note or "")), _NOTE_LIMIT)
    if note:
        parts.append(note)
    return parts




def action_blocks(persona_id: str, lang: str, *, ephemeral: bool, retry: bool = False) -> list[Block]:
    # Buttons carry only the persona id: handlers load the persona from the store, never trust payload text.
    follow_ups = [
        button(kind.text("button", lang), kind.action_id, persona_id, style=kind.button_style)
        for kind in followup_kinds()
    ]
    if ephemeral:
        follow_ups.append(button(t("btn.share", lang), "persona_share", persona_id))
    # A card with a note fell back to the offline draft: "Retry" says what the click is for (it regenerates).
    if retry:
        follow_ups.append(button(t("btn.retry", lang), "persona_retry", persona_id))
    else:
        follow_ups.append(button(t("btn.regenerate", lang), "persona_regenerate", persona_id))
    feedback = [
        button(t("btn.feedback_up", lang), "persona_feedback_up", persona_id),
        button(t("btn.feedback_down", lang), "persona_feedback_down", persona_id),
        button(t("btn.export", lang), "persona_export", persona_id),
    ]
    return [
        {"type": "actions", "block_id": "persona_actions", "elements": follow_ups},
        {"type": "actions", "block_id": "persona_feedback", "elements": feedback},
    ]
