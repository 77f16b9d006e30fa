"""Answers to questions about a persona, as a thread reply: the answer, the apps it rests on, how it was written,
and the feedback buttons. Every text the user or the model wrote is escaped for mrkdwn and cut to Slack's limits.
"""

from __future__ import annotations

from typing import Any

from bot.chat import ChatAnswer
from bot.i18n import t
from bot.mrkdwn import escape, single_line, truncate
from bot.slack.blocks import limits
from bot.slack.blocks.feedback import feedback_block

_META_LIMIT = 80
_APPS_LIMIT = 400


def answer_footer(answer: ChatAnswer, lang: str) -> str:
    """"Apps: Keep, Strava · gpt-4o-mini" — what the answer rests on and how it was written (mrkdwn)."""
    parts = []
    apps = ", ".join(escape(single_line(app)) for app in answer.apps if single_line(app))
    if apps:
        parts.append(truncate(f"↳ {apps}", _APPS_LIMIT))
    parts.append(t("offline_draft", lang) if answer.writer == "offline"
                 else truncate(escape(single_line(answer.model)), _META_LIMIT) or "?")
    note = truncate(escape(single_line(answer.note or "")), 300)
    if note:
        parts.append(note)
    if answer.cached:
        parts.append(t("cached", lang, ago="").strip())
    return " · ".join(parts)


def answer_blocks(answer: ChatAnswer, lang: str) -> list[dict[str, Any]]:
    """What follows the answer's text: its footer and the feedback buttons (also what ends a streamed answer)."""
    return [
        {"type": "context", "block_id": "chat_footer",
         "elements": [{"type": "mrkdwn", "text": answer_footer(answer, lang), "verbatim": True}]},
        feedback_block(answer.persona_id, lang, block_id="chat_feedback"),
    ]


def chat_message(answer: ChatAnswer, lang: str) -> dict[str, Any]:
    text = truncate(escape(answer.text).strip(), limits.MAX_SECTION_TEXT - 100) or "—"
    blocks = [{"type": "section", "block_id": "chat_answer", "text": {"type": "mrkdwn", "text": text,
                                                                      "verbatim": True}},
              *answer_blocks(answer, lang)]
    fallback = truncate(escape(single_line(answer.text)), 1000) or t("chat.title", lang)
    return {"text": fallback, "blocks": blocks}
