"""The building blocks of the persona card: Block Kit primitives, the headline and key facts, the folded app
list, the footer and the action rows. Each part is its own function so that others can change one (the
demographics, the buttons) without touching the card's layout in `card.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.app_index import standouts, times_average
from bot.followups.registry import kinds as followup_kinds
from bot.i18n import bucket_label, t
from bot.models import PersonaResult
from bot.mrkdwn import escape, length, single_line, truncate
from bot.slack.blocks import limits
from bot.slack.blocks.export_menu import export_menu
from bot.slack.blocks.feedback import feedback_block
from bot.slack.blocks.text_objects import plain_text
from bot.text_render import format_pct, format_time, source_line

Block = dict[str, Any]

_HASHTAG_LINE_LIMIT = 300
_NOTE_LIMIT = 300
_META_LIMIT = 80


def mrkdwn_text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


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




def footer(result: PersonaResult, cached_ago: str | None, *, shared: bool = False) -> list[str]:
    """Source and coverage, time and caveats; the model and prompt version only on the requester's own card (a
    card shared to a channel is for clients and colleagues, not for operators)."""
    lang, meta = result.meta.lang, result.meta
    model = truncate(escape(single_line(meta.model)), _META_LIMIT) or "?"
    version = truncate(escape(single_line(meta.prompt_version)), _META_LIMIT) or "?"
    parts = [escape(source_line(result.demographics, lang))]
    if not shared:
        parts.append(t("model", lang, model=model, version=version))
    parts.append(t("generated", lang, when=date_token(meta.generated_at)))
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
    if note and not shared:
        parts.append(note)
    return parts




def action_blocks(persona_id: str, lang: str, *, ephemeral: bool, retry: bool = False,
                  comparable: bool = False) -> list[Block]:
    # Buttons carry only the persona id: handlers load the persona from the store, never trust payload text.
    follow_ups = [
        button(kind.text("button", lang), kind.action_id, persona_id, style=kind.button_style)
        for kind in followup_kinds()
    ]
    if comparable:  # a pasted list has no size or measured audience to set beside a segment's
        follow_ups.append(button(t("btn.compare", lang), "persona_compare", persona_id))
    if ephemeral:
        follow_ups.append(button(t("btn.share", lang), "persona_share", persona_id))
    # A card with a note fell back to the offline draft: "Retry" says what the click is for (it regenerates).
    if retry:
        follow_ups.append(button(t("btn.retry", lang), "persona_retry", persona_id))
    else:
        follow_ups.append(button(t("btn.regenerate", lang), "persona_regenerate", persona_id))
    follow_ups.append(export_menu(persona_id, lang))
    return [
        {"type": "actions", "block_id": "persona_actions", "elements": follow_ups},
        feedback_block(persona_id, lang),
    ]


# --- the headline: who they are in one line, then three key facts ------------------------------------------------


def _largest(dist: dict[str, float]) -> tuple[str, float] | None:
    known = [(bucket, share) for bucket, share in dist.items() if bucket.strip().casefold() not in ("unknown", "")]
    return max(known, key=lambda item: item[1]) if known else None


def key_facts(result: PersonaResult) -> list[str]:
    """Plain-text key facts: the largest age band, the gender split and the most over-indexing app, each when the
    data has it."""
    lang, facts = result.meta.lang, []
    age = _largest(result.demographics.age)
    if age:
        facts.append(t("facts.age", lang, bucket=bucket_label(age[0], lang), pct=format_pct(age[1])))
    genders = sorted(result.demographics.gender.items(), key=lambda item: -item[1])[:2]
    if genders:
        split = " / ".join(f"{bucket_label(bucket, lang)} {format_pct(pct)}" for bucket, pct in genders)
        facts.append(t("facts.gender", lang, split=split[:1].upper() + split[1:]))
    top = standouts(result.apps, limit=1)
    if top and top[0].index is not None:
        name = truncate(single_line(top[0].name), 60) or "?"
        facts.append(t("facts.standout", lang, app=name, ratio=times_average(top[0].index)))
    return facts


def headline_blocks(result: PersonaResult, description: str, size: str | None) -> list[Block]:
    """Under the title: the segment's one-line description (and size), then the key facts as one context row."""
    blocks: list[Block] = []
    about = " · ".join(part for part in (description, size) if part)
    if about:
        blocks.append(section(about, "persona_segment"))
    facts = [escape(fact) for fact in key_facts(result)]
    if facts:
        blocks.append(context(facts, "persona_facts"))
    return blocks


# --- the grounding, folded ----------------------------------------------------------------------------------------

APPS_FOLDED = 5


def more_apps_button(result: PersonaResult) -> Block | None:
    """The "All N apps" control beside a grounding list longer than the card shows."""
    if len(result.apps) <= APPS_FOLDED:
        return None
    return button(t("btn.more_apps", result.meta.lang, n=len(result.apps)), "persona_more_apps", result.id)
