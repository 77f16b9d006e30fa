"""Block Kit for everything around the card: help, modals, App Home, typeahead options, follow-up replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.config import LANGS
from bot.followups.registry import get_kind
from bot.i18n import t
from bot.languages import language
from bot.localized import segment_name
from bot.models import SegmentInfo
from bot.mrkdwn import escape, single_line, truncate
from bot.slack.blocks.feedback import feedback_block
from bot.slack.blocks.text_objects import modal_view, short_plain
from bot.store import RECENT_PER_USER, RecentPersona

if TYPE_CHECKING:
    from bot.followups import FollowUpKind, FollowUpReport

Block = dict[str, Any]
EXAMPLE_LIST = "小红书 0.92, Keep 0.85, 美团 0.8"


def _section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
    if block_id:
        block["block_id"] = block_id
    return block


def _button(label: str, action_id: str, value: str = "open", style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": short_plain(label), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def time_ago(when: datetime, lang: str) -> str:
    seconds = max(0, int((datetime.now(UTC) - when).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return t(f"ago.{unit}", lang, n=seconds // size)
    return t("ago.now", lang)


def help_message(lang: str, *, with_button: bool = True) -> dict[str, Any]:
    blocks: list[Block] = [
        _section(t("help.intro", lang)),
        _section(t("help.usage", lang, example=escape(EXAMPLE_LIST))),
    ]
    if with_button:
        blocks.append({"type": "actions", "block_id": "help_actions",
                       "elements": [_button(t("help.open_modal", lang), "persona_open_modal", style="primary")]})
    return {"text": t("help.intro_plain", lang), "blocks": blocks}


def _lang_options() -> list[dict[str, Any]]:
    return [_lang_option(code) for code in LANGS]


def _lang_option(code: str) -> dict[str, Any]:
    return {"text": short_plain(language(code).display_name), "value": code}


def persona_modal(lang: str, *, private_metadata: str) -> dict[str, Any]:
    return modal_view(
        "persona_modal", lang, title=t("modal.title", lang), submit=t("modal.submit", lang),
        private_metadata=private_metadata,
        blocks=[
            {
                "type": "input",
                "block_id": "segment_block",
                "optional": True,
                "label": short_plain(t("modal.segment", lang), 2000),
                "element": {
                    "type": "external_select",
                    "action_id": "segment_picker",
                    "min_query_length": 0,
                    "placeholder": short_plain(t("modal.segment_placeholder", lang), 150),
                },
            },
            {
                "type": "input",
                "block_id": "apps_block",
                "optional": True,
                "label": short_plain(t("modal.apps", lang), 2000),
                "hint": short_plain(t("modal.apps_hint", lang, example=EXAMPLE_LIST), 2000),
                "element": {"type": "plain_text_input", "action_id": "apps_input", "multiline": True,
                            "max_length": 3000},
            },
            {
                "type": "input",
                "block_id": "lang_block",
                "label": short_plain(t("modal.lang", lang), 2000),
                "element": {"type": "static_select", "action_id": "lang_select", "options": _lang_options(),
                            "initial_option": _lang_option(lang)},
            },
        ],
    )


def product_modal(kind: FollowUpKind, lang: str, *, private_metadata: str) -> dict[str, Any]:
    """Asks for the user's product before a follow-up kind that needs one; titled with the kind's button. A kind
    whose product is optional gets an input that may be left empty."""
    product_input: Block = {
        "type": "input",
        "block_id": "product_block",
        "label": short_plain(t("modal.product", lang), 2000),
        "element": {"type": "plain_text_input", "action_id": "product_input", "max_length": 200,
                    "placeholder": short_plain(t("modal.product_placeholder", lang), 150)},
    }
    if kind.product_optional:
        product_input["optional"] = True
        product_input["hint"] = short_plain(t("modal.product_optional_hint", lang), 2000)
    return modal_view(kind.modal_callback_id, lang, title=kind.text("button", lang), submit=t("modal.analyse", lang),
                      private_metadata=private_metadata, blocks=[product_input])


def segment_options(segments: Sequence[SegmentInfo], lang: str = "en") -> list[dict[str, Any]]:
    """The picker's options: each segment under its name in the reader's language."""
    return [{"text": short_plain(segment_name(s, lang)), "value": s.id[:150]} for s in segments][:100]


def home_view(lang: str, recent: Sequence[RecentPersona]) -> dict[str, Any]:
    blocks: list[Block] = [
        {"type": "header", "text": short_plain(t("home.title", lang), 150)},
        _section(t("help.intro", lang)),
        _section(t("help.usage", lang, example=escape(EXAMPLE_LIST))),
        {"type": "actions", "block_id": "home_actions",
         "elements": [_button(t("help.open_modal", lang), "persona_open_modal", style="primary")]},
        {"type": "divider"},
        _section(f"*{t('home.lang', lang)}*", "home_lang_title"),
        {"type": "actions", "block_id": "home_lang",
         "elements": [{"type": "static_select", "action_id": "home_set_lang", "options": _lang_options(),
                       "initial_option": _lang_option(lang)}]},
        {"type": "divider"},
        _section(f"*{t('home.recent', lang)}*", "home_recent_title"),
    ]
    if recent:
        for i, r in enumerate(distinct_recent(recent)[:RECENT_PER_USER]):
            # Escaped before the cut, so a title full of "&" still fits.
            line = (f"• {truncate(escape(single_line(r.title)), 120) or '…'} — <!date^{int(r.created_at.timestamp())}"
                    f"^{{date_short_pretty}} {{time}}|{r.created_at:%Y-%m-%d %H:%M} UTC>")
            section = _section(line, f"home_recent_item_{i}")
            # One action id per button: Slack routes on it, and a view may not repeat one.
            section["accessory"] = _button(t("btn.open", lang), f"home_open_persona_{i}", value=r.persona_id[:150])
            blocks.append(section)
    else:
        blocks.append(_section(t("home.no_recent", lang), "home_recent"))
    return {"type": "home", "blocks": blocks}


# A section's text holds 3000 characters; the rest is room for Slack's own escaping of what we did not escape.
SECTION_CHARS = 2900
# Blocks in one message, and the characters of text Slack shows across them (it allows 12,000).
MAX_BLOCKS = 50
MAX_MESSAGE_CHARS = 11_500


def _packed(lines: Sequence[str]) -> list[str]:
    """Lines packed into as few section texts as fit, none cut: a line longer than a section is split at spaces
    (or anywhere, for text without them) over several sections."""
    texts: list[str] = []
    current = ""
    for line in lines:
        if not line.strip("•→ "):
            continue
        while len(line) > SECTION_CHARS:
            cut = line.rfind(" ", 0, SECTION_CHARS)
            cut = cut if cut > SECTION_CHARS // 2 else SECTION_CHARS
            if current:
                texts.append(current)
                current = ""
            texts.append(line[:cut])
            line = line[cut:].lstrip()
        if current and len(current) + 1 + len(line) > SECTION_CHARS:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def _block_chars(block: Block) -> int:
    texts = [block.get("text") or {}, *block.get("elements", [])]
    return sum(len(part.get("text", "")) for part in texts if isinstance(part, dict))


def followup_messages(report: FollowUpReport, lang: str) -> list[dict[str, Any]]:
    """The whole report as one message, or as several in a row when it has more blocks or text than one message
    holds; the footer and the feedback buttons close the last, together."""
    payload = followup_message(report, lang)
    end = followup_end_blocks(report, lang)
    body = payload["blocks"][: -len(end)]
    messages: list[list[Block]] = [[]]
    chars = 0
    for group in [[block] for block in body] + [end]:
        size = sum(_block_chars(block) for block in group)
        if messages[-1] and (len(messages[-1]) + len(group) > MAX_BLOCKS or chars + size > MAX_MESSAGE_CHARS):
            messages.append([])
            chars = 0
        messages[-1].extend(group)
        chars += size
    return [{"text": payload["text"], "blocks": blocks} for blocks in messages]


def distinct_recent(recent: Sequence[RecentPersona]) -> list[RecentPersona]:
    """Newest first, one entry per title and language: asking for the same segment twice is one recent persona."""
    newest = sorted(recent, key=lambda r: r.created_at, reverse=True)
    seen: set[tuple[str, str]] = set()
    kept = []
    for r in newest:
        key = (single_line(r.title).casefold(), r.lang)
        if key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


def followup_heading(kind_id: str, product: str | None, lang: str) -> str:
    """A report's heading, escaped for mrkdwn: the kind's title, and the product it is about."""
    heading = get_kind(kind_id).text("title", lang)
    if product and single_line(product):
        heading += f" — {truncate(escape(single_line(product)), 300)}"
    return heading


def followup_end_blocks(report: FollowUpReport, lang: str) -> list[Block]:
    """What closes a report, also what ends a streamed one: how it was written, and the feedback buttons."""
    model = truncate(escape(single_line(report.model)), 80) or "?"
    footer = [t("offline_draft", lang)] if report.writer == "offline" else [model]
    note = truncate(escape(single_line(report.note or "")), 300)
    if note:
        footer.append(note)
    if report.cached:
        footer.append(t("cached", lang, ago=""))
    return [{"type": "context", "block_id": "followup_footer",
             "elements": [{"type": "mrkdwn", "text": " · ".join(footer), "verbatim": True}]},
            feedback_block(report.persona_id, lang, block_id="followup_feedback")]


def followup_message(report: FollowUpReport, lang: str) -> dict[str, Any]:
    """The report as one message's blocks, uncut (see `followup_messages` for Slack's limit on blocks)."""
    title = get_kind(report.kind).text("title", lang)
    blocks: list[Block] = [_section(f"*{followup_heading(report.kind, report.product, lang)}*")]
    # Escaped first, then packed: escaping can grow a text fivefold ("&" → "&amp;"), and a section holds 3000.
    blocks += [_section(text) for text in _packed([escape(report.summary).strip()])]
    blocks += [_section(text) for text in _packed([f"• {escape(single_line(p))}" for p in report.points])]
    actions = [f"→ {escape(single_line(a))}" for a in report.next_actions]
    if any(single_line(a) for a in report.next_actions):
        blocks.append(_section(f"*{t('followup.next', lang)}*"))
        blocks += [_section(text) for text in _packed(actions)]
    blocks += followup_end_blocks(report, lang)
    fallback = f"{title}: {truncate(single_line(report.summary), 500)}"
    return {"text": truncate(escape(fallback), 3000), "blocks": blocks}
