"""Block Kit messages: the persona card, the card shown while the persona is written, and status messages.

Every text from a user, the warehouse or the writer is escaped for mrkdwn (or cleaned for plain_text) and cut to
its limit here, so no input can ping a channel, smuggle a link or make Slack reject the message. The only markup
not produced by escaping is the `<!date^…>` token in the footer, built from our own timestamp.

mrkdwn objects are sent with `verbatim: true`: Slack then leaves bare URLs and `#channel` names in the text
alone instead of turning a generated hashtag into a link to some channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.followups.registry import kinds as followup_kinds
from bot.i18n import t
from bot.models import PROFILE_FIELDS, ClosestSegment, Demographics, GroundingApp, PersonaResult
from bot.mrkdwn import escape, length, plain, single_line, truncate
from bot.slack.blocks import limits
from bot.slack.blocks.export_menu import export_menu
from bot.text_render import (
    closest_line,
    distribution_rows,
    format_score,
    format_time,
    merged_note,
    source_label,
    source_line,
    standout_lines,
    title,
)

Block = dict[str, Any]

# Apps listed on the card before the rest are folded into "… and N more".
APPS_SHOWN = 10
BUCKETS_SHOWN = 12
# Caps for the parts around the profile, chosen so that even at their worst the five profile fields keep
# more than a thousand characters each under the message-wide text ceiling.
_DESCRIPTION_LIMIT = 300
_CITATIONS_LIMIT = 200
_HASHTAG_LINE_LIMIT = 300
_APP_NAME_LIMIT = 80
_CATEGORY_LIMIT = 40
_BUCKET_LABEL_LIMIT = 16
_NOTE_LIMIT = 300
_META_LIMIT = 80
_FALLBACK_LIMIT = 300
_MERGED_LIMIT = 120
_CLOSEST_LIMIT = 400
# Room left under the ceiling for rounding between the budget and the assembled card.
_TOTAL_MARGIN = 100


# --- primitives ------------------------------------------------------------------------------------------------


_MARKUP_OPENER = re.compile(r"<[!@#]|<http")


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _plain_label(text: str, limit: int, fallback: str) -> str:
    return truncate(single_line(text), limit) or truncate(single_line(fallback), limit) or "?"


def _header(text: str, block_id: str) -> Block:
    return {"type": "header", "block_id": block_id, "text": _plain(text)}


def _section(text: str, block_id: str) -> Block:
    return {"type": "section", "block_id": block_id, "text": _mrkdwn(text)}


def _context(texts: Sequence[str], block_id: str) -> Block:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [_mrkdwn(text) for text in texts[: limits.MAX_CONTEXT_ELEMENTS]],
    }


def _button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    if length(value) > limits.MAX_BUTTON_VALUE:
        # Values are ids we generate; one this long is a bug upstream, and cutting it would break the handler.
        raise ValueError(f"button value for {action_id} is longer than {limits.MAX_BUTTON_VALUE} characters")
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(_plain_label(label, limits.MAX_BUTTON_TEXT, action_id)),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _fit_lines(head: str, lines: Sequence[str], limit: int, lang: str, *, total: int) -> str:
    """`head` plus as many whole `lines` as fit in `limit`; the rest of `total` folded into "… and N more"."""
    reserve = length("\n" + t("and_more", lang, n=total))
    text = head
    shown = 0
    for line in lines:
        if length(text) + 1 + length(line) + reserve > limit:
            break
        text += "\n" + line
        shown += 1
    if shown < total:
        text += "\n" + t("and_more", lang, n=total - shown)
    return text


def _share(lengths: Sequence[int], budget: int, cap: int) -> list[int]:
    """Split `budget` so short texts keep their full length and the long ones share the rest equally."""
    allot = [0] * len(lengths)
    remaining = max(budget, 0)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for k, i in enumerate(order):
        allot[i] = min(lengths[i], cap, remaining // (len(lengths) - k))
        remaining -= allot[i]
    return allot


def _date_token(when: datetime) -> str:
    # Slack renders this in each reader's own time zone; the part after `|` is for clients that cannot.
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return f"<!date^{int(aware.timestamp())}^{{date_short_pretty}} {{time}}|{format_time(aware)}>"


# --- shared card parts -----------------------------------------------------------------------------------------


def _distribution_field(dimension: str, dist: dict[str, float], lang: str) -> str:
    lines = []
    for label, figures in distribution_rows(dist, lang, label_limit=_BUCKET_LABEL_LIMIT):
        # Backticks would close the code span that keeps the bars aligned.
        safe = escape(label.replace("`", "'"))
        lines.append(f"`{safe}  {figures}`")
    head = f"*{t(dimension, lang)}*"
    return _fit_lines(head, lines[:BUCKETS_SHOWN], limits.MAX_FIELD_TEXT, lang, total=len(lines))


def _demographics_blocks(demographics: Demographics, lang: str) -> list[Block]:
    fields = [
        _mrkdwn(_distribution_field(dimension, dist, lang))
        for dimension in ("age", "gender")
        if (dist := getattr(demographics, dimension))
    ]
    blocks: list[Block] = []
    if fields:
        blocks.append({"type": "section", "block_id": "persona_demographics", "fields": fields})
    else:
        blocks.append(_section(t("demographics.none", lang), "persona_demographics"))
    label = source_label(demographics, lang)
    if label:
        blocks.append(_context([f"⚠️ {escape(label)}"], "persona_demographics_source"))
    return blocks


def _standouts_block(apps: Sequence[GroundingApp], lang: str) -> list[Block]:
    """The apps this audience uses far more than average (by index), when the data has penetration and reach."""
    lines = [escape(line) for line in standout_lines(list(apps), lang, name_limit=_APP_NAME_LIMIT)]
    if not lines:
        return []
    return [_section("\n".join([f"*{t('standouts.title', lang)}*", *lines]), "persona_standouts")]


def _app_line(app: GroundingApp, lang: str) -> str:
    line = f"{'●' if app.app_id else '○'} {truncate(escape(single_line(app.name)), _APP_NAME_LIMIT) or '?'}"
    category = truncate(escape(single_line(app.category or "")), _CATEGORY_LIMIT)
    if category:
        line += f" ({category})"
    if app.score is not None:
        line += f" · {format_score(app.score)}"
    if not app.app_id:
        line += f" · _{t('unmatched', lang)}_"
    return line + _merged_suffix(app, lang)


def _apps_block(apps: Sequence[GroundingApp], lang: str) -> Block:
    head = f"*{t('grounded_on', lang, n=len(apps))}*"
    lines = [_app_line(app, lang) for app in apps[:APPS_SHOWN]]
    return _section(_fit_lines(head, lines, limits.MAX_SECTION_TEXT, lang, total=len(apps)), "persona_apps")


# --- pasted lists: merged names and closest segments -------------------------------------------------------------


def _merged_suffix(app: GroundingApp, lang: str) -> str:
    note = merged_note(app, lang)
    # Not in italics: a pasted name may hold the `_` that would end them early.
    return f" · {truncate(escape(note), _MERGED_LIMIT)}" if note else ""


def _closest_blocks(closest: Sequence[ClosestSegment], lang: str) -> list[Block]:
    line = closest_line(list(closest), lang)
    return [_context([f"🧭 {truncate(escape(line), _CLOSEST_LIMIT)}"], "persona_closest")] if line else []


def _pasted_title(n: int, lang: str) -> str:
    return t("title.pasted", lang, n=n)


# --- the persona card ------------------------------------------------------------------------------------------


def persona_card(result: PersonaResult, *, ephemeral: bool = False, cached_ago: str | None = None) -> dict:
    """The finished persona as a message payload `{"text": fallback, "blocks": [...]}` within Slack's limits.

    `ephemeral` cards (seen only by the requester) get a button to share them to the channel;
    `cached_ago` ("5 min ago") is shown in the footer when the result came from the cache.
    """
    lang = result.meta.lang
    heading = title(result)

    top: list[Block] = [_header(_plain_label(heading, limits.MAX_HEADER_TEXT, "…"), "persona_header")]
    about = []
    if result.segment:
        description = truncate(escape(single_line(result.segment.description)), _DESCRIPTION_LIMIT)
        if description:
            about.append(description)
        if result.segment.size is not None:
            about.append(t("segment.size", lang, size=f"{result.segment.size:,}"))
    if about:
        top.append(_context([" · ".join(about)], "persona_segment"))

    citations: dict[str, Block | None] = {}
    for field in PROFILE_FIELDS:
        names = list(dict.fromkeys(single_line(name) for name in getattr(result.citations, field)))
        cited = ", ".join(escape(name) for name in names if name)
        citations[field] = (
            _context([truncate(f"↳ {cited}", _CITATIONS_LIMIT)], f"persona_cite_{field}") if cited else None
        )

    bottom: list[Block] = []
    tag_lines = _hashtag_lines(result)
    if tag_lines:
        bottom.append(_section("\n".join([f"*{t('hashtags', lang)}*", *tag_lines]), "persona_hashtags"))
    bottom.append({"type": "divider", "block_id": "persona_divider_data"})
    bottom.extend(_demographics_blocks(result.demographics, lang))
    bottom.extend(_standouts_block(result.apps, lang))
    bottom.append(_apps_block(result.apps, lang))
    bottom.extend(_closest_blocks(result.closest_segments, lang))
    bottom.append({"type": "divider", "block_id": "persona_divider_footer"})
    bottom.append(_context(_footer(result, cached_ago), "persona_footer"))
    bottom.extend(_action_blocks(result.id, lang, ephemeral=ephemeral, retry=bool(single_line(result.meta.note or "")),
                                 comparable=result.segment is not None))

    # The profile gets whatever the rest leaves under the message-wide ceiling, shared fairly between fields.
    heads = [f"*{t(f'field.{field}', lang)}*\n" for field in PROFILE_FIELDS]
    bodies = [escape(getattr(result.profile, field).strip()) for field in PROFILE_FIELDS]
    fixed = limits.total_text([*top, *bottom, *(b for b in citations.values() if b)])
    budget = limits.MAX_TOTAL_TEXT - _TOTAL_MARGIN - fixed - sum(length(head) for head in heads)
    cap = limits.MAX_SECTION_TEXT - max(length(head) for head in heads)
    allot = _share([length(body) for body in bodies], budget, cap)

    middle: list[Block] = []
    for field, head, body, room in zip(PROFILE_FIELDS, heads, bodies, allot, strict=True):
        middle.append(_section(head + (truncate(body, room) or "—"), f"persona_field_{field}"))
        if citations[field]:
            middle.append(citations[field])

    # The fallback is what notifications and screen readers show: the title and the first profile line.
    named = result.segment is not None and bool(single_line(result.segment.name))
    lead = t("title.fallback", lang, name=escape(heading)) if named else escape(heading)
    summary = escape(single_line(result.profile.basic_attributes))
    fallback = lead + (f" — {summary}" if summary else "")
    return {"text": truncate(fallback, _FALLBACK_LIMIT), "blocks": [*top, *middle, *bottom]}


def _hashtag_lines(result: PersonaResult) -> list[str]:
    lines = []
    for group in (result.hashtags.zh, result.hashtags.en):
        tags = dict.fromkeys(tag.lstrip("#＃") for tag in map(single_line, group))
        line = " ".join(f"#{escape(tag)}" for tag in tags if tag)
        if line:
            lines.append(truncate(line, _HASHTAG_LINE_LIMIT))
    return lines


def _footer(result: PersonaResult, cached_ago: str | None) -> list[str]:
    lang, meta = result.meta.lang, result.meta
    model = truncate(escape(single_line(meta.model)), _META_LIMIT) or "?"
    version = truncate(escape(single_line(meta.prompt_version)), _META_LIMIT) or "?"
    parts = [
        escape(source_line(result.demographics, lang)),
        t("model", lang, model=model, version=version),
        t("generated", lang, when=_date_token(meta.generated_at)),
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


def _action_blocks(persona_id: str, lang: str, *, ephemeral: bool, retry: bool = False,
                   comparable: bool = False) -> list[Block]:
    # Buttons carry only the persona id: handlers load the persona from the store, never trust payload text.
    follow_ups = [
        _button(kind.text("button", lang), kind.action_id, persona_id, style=kind.button_style)
        for kind in followup_kinds()
    ]
    if comparable:  # a pasted list has no size or measured audience to set beside a segment's
        follow_ups.append(_button(t("btn.compare", lang), "persona_compare", persona_id))
    if ephemeral:
        follow_ups.append(_button(t("btn.share", lang), "persona_share", persona_id))
    # A card with a note fell back to the offline draft: "Retry" says what the click is for (it regenerates).
    if retry:
        follow_ups.append(_button(t("btn.retry", lang), "persona_retry", persona_id))
    else:
        follow_ups.append(_button(t("btn.regenerate", lang), "persona_regenerate", persona_id))
    feedback = [
        _button(t("btn.feedback_up", lang), "persona_feedback_up", persona_id),
        _button(t("btn.feedback_down", lang), "persona_feedback_down", persona_id),
        export_menu(persona_id, lang),
    ]
    return [
        {"type": "actions", "block_id": "persona_actions", "elements": follow_ups},
        {"type": "actions", "block_id": "persona_feedback", "elements": feedback},
    ]


# --- other messages ---------------------------------------------------------------------------------------------


def progress_card(*, title: str | None, apps: list[GroundingApp], demographics: Demographics | None, lang: str) -> dict:
    """The data part of the card, shown while the persona text is being written."""
    writing = t("writing", lang)
    heading = _plain_label(title or "", limits.MAX_HEADER_TEXT, _pasted_title(len(apps), lang))
    blocks: list[Block] = [
        _header(heading, "persona_header"),
        _context([f"⏳ {writing}"], "persona_progress"),
    ]
    if demographics is not None:
        blocks.append({"type": "divider", "block_id": "persona_divider_data"})
        blocks.extend(_demographics_blocks(demographics, lang))
    blocks.extend(_standouts_block(apps, lang))
    blocks.append(_apps_block(apps, lang))
    return {"text": writing, "blocks": blocks}


def working_message(lang: str) -> dict:
    working = t("working", lang)
    return {"text": working, "blocks": [_context([f"⏳ {working}"], "persona_working")]}


def error_message(
    text: str,
    lang: str,
    *,
    suggestions: Sequence[tuple[str, str]] = (),
    example: str | None = None,
    retry_value: str | None = None,
) -> dict:
    """A friendly error with optional segment suggestions `(segment_id, name)`, an example and a Retry button."""
    message = truncate(escape(plain(text).strip()), limits.MAX_SECTION_TEXT - 20) or t("error.generic", lang)
    blocks: list[Block] = [_section(f"⚠️ {message}", "persona_error")]
    buttons = [
        _button(single_line(name) or segment_id, f"persona_pick_segment_{n}", segment_id)
        for n, (segment_id, name) in enumerate(suggestions, start=1)
        # Ids are opaque machine names; one that carries Slack markup openers is not offered rather than escaped,
        # since the click sends the value back as the id to look up.
        if segment_id and length(segment_id) <= limits.MAX_BUTTON_VALUE and not _MARKUP_OPENER.search(segment_id)
    ][: limits.MAX_ACTIONS_ELEMENTS]
    if buttons:
        blocks.append(_section(f"*{t('error.suggestions', lang)}*", "persona_suggestions_title"))
        blocks.append({"type": "actions", "block_id": "persona_suggestions", "elements": buttons})
    if example:
        shown = truncate(escape(single_line(example).replace("`", "'")), 500)
        if shown:
            blocks.append(_context([t("error.example", lang, example=f"`{shown}`")], "persona_example"))
    if retry_value:
        retry = _button(t("btn.retry", lang), "persona_retry", retry_value)
        blocks.append({"type": "actions", "block_id": "persona_retry_actions", "elements": [retry]})
    fallback = truncate(escape(single_line(text)), 1000) or t("error.generic", lang)
    return {"text": fallback, "blocks": blocks}
