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

from bot.i18n import t
from bot.localized import category_label, count, segment_description
from bot.models import PROFILE_FIELDS, CategoryLabels, ClosestSegment, Demographics, GroundingApp, PersonaResult
from bot.mrkdwn import escape, length, plain, single_line, truncate
from bot.slack.blocks import charts as chart_blocks
from bot.slack.blocks import limits
from bot.slack.blocks.card_parts import (
    APPS_FOLDED,
    Block,
    action_blocks,
    button,
    context,
    footer,
    hashtag_lines,
    header,
    headline_blocks,
    more_apps_button,
    mrkdwn_text,
    plain_label,
    section,
)
from bot.text_render import (
    closest_line,
    distribution_rows,
    format_score,
    merged_note,
    source_label,
    standout_lines,
    title,
)

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


# --- shared card parts -----------------------------------------------------------------------------------------


def _distribution_field(dimension: str, dist: dict[str, float], lang: str) -> str:
    lines = []
    for label, figures in distribution_rows(dist, lang, label_limit=_BUCKET_LABEL_LIMIT):
        # Backticks would close the code span that keeps the bars aligned.
        safe = escape(label.replace("`", "'"))
        lines.append(f"`{safe}  {figures}`")
    head = f"*{t(dimension, lang)}*"
    return _fit_lines(head, lines[:BUCKETS_SHOWN], limits.MAX_FIELD_TEXT, lang, total=len(lines))


def _demographics_blocks(demographics: Demographics, lang: str, *, charts: bool = False) -> list[Block]:
    drawn = chart_blocks.demographic_charts(demographics, lang) if charts else []
    if drawn:
        # The charts' figures once more as text: what notifications and clients without charts show.
        line = truncate(escape(chart_blocks.figures_line(demographics, lang)), limits.MAX_TEXT_OBJECT)
        return [*drawn, context([line], "persona_demographics"), *_source_blocks(demographics, lang)]
    fields = [
        mrkdwn_text(_distribution_field(dimension, dist, lang))
        for dimension in ("age", "gender")
        if (dist := getattr(demographics, dimension))
    ]
    blocks: list[Block] = []
    if fields:
        blocks.append({"type": "section", "block_id": "persona_demographics", "fields": fields})
    else:
        blocks.append(section(t("demographics.none", lang), "persona_demographics"))
    return [*blocks, *_source_blocks(demographics, lang)]


def _source_blocks(demographics: Demographics, lang: str) -> list[Block]:
    label = source_label(demographics, lang)
    return [context([f"⚠️ {escape(label)}"], "persona_demographics_source")] if label else []


def _standouts_block(apps: Sequence[GroundingApp], lang: str) -> list[Block]:
    """The apps this audience uses far more than average (by index), when the data has penetration and reach."""
    lines = [escape(line) for line in standout_lines(list(apps), lang, name_limit=_APP_NAME_LIMIT)]
    if not lines:
        return []
    return [section("\n".join([f"*{t('standouts.title', lang)}*", *lines]), "persona_standouts")]


def _app_line(app: GroundingApp, lang: str, labels: dict[str, CategoryLabels] | None = None) -> str:
    line = f"{'●' if app.app_id else '○'} {truncate(escape(single_line(app.name)), _APP_NAME_LIMIT) or '?'}"
    category = truncate(escape(single_line(category_label(app.category, lang, labels))), _CATEGORY_LIMIT)
    if category:
        line += f" ({category})"
    if app.score is not None:
        line += f" · {format_score(app.score)}"
    if not app.app_id:
        line += f" · _{t('unmatched', lang)}_"
    return line + _merged_suffix(app, lang)


def _apps_block(
    apps: Sequence[GroundingApp], lang: str, labels: dict[str, CategoryLabels] | None = None, *,
    more: Block | None = None,
) -> Block:
    """The top apps; on the card the rest are one click away (`more`, "All N apps", posts the whole list)."""
    head = f"*{t('grounded_on', lang, n=len(apps))}*"
    lines = [_app_line(app, lang, labels) for app in apps[:APPS_FOLDED]]
    block = section(_fit_lines(head, lines, limits.MAX_SECTION_TEXT, lang, total=len(apps)), "persona_apps")
    if more:
        block["accessory"] = more
    return block


# --- pasted lists: merged names and closest segments -------------------------------------------------------------


def _merged_suffix(app: GroundingApp, lang: str) -> str:
    note = merged_note(app, lang)
    # Not in italics: a pasted name may hold the `_` that would end them early.
    return f" · {truncate(escape(note), _MERGED_LIMIT)}" if note else ""


def _closest_blocks(closest: Sequence[ClosestSegment], lang: str) -> list[Block]:
    line = closest_line(list(closest), lang)
    return [context([f"🧭 {truncate(escape(line), _CLOSEST_LIMIT)}"], "persona_closest")] if line else []


def _pasted_title(n: int, lang: str) -> str:
    return t("title.pasted", lang, n=n)


# --- the persona card ------------------------------------------------------------------------------------------


def persona_card(
    result: PersonaResult, *, ephemeral: bool = False, cached_ago: str | None = None, shared: bool = False,
    charts: bool = True,
) -> dict:
    """The finished persona as a message payload `{"text": fallback, "blocks": [...]}` within Slack's limits.

    It opens with a headline (who they are, then three key facts), keeps the five fields compact and folds the
    grounding to the top apps behind an "All N apps" button. `ephemeral` cards (seen only by the requester) get a
    button to share them to the channel; a `shared` card (posted to a channel) leaves out internals such as the
    model and prompt version; `cached_ago` ("5 min ago") is shown in the footer when the result came from the cache;
    `charts=False` draws age and gender as text bars, for workspaces whose Slack refused the chart block.
    """
    lang = result.meta.lang
    heading = title(result)

    top: list[Block] = [header(plain_label(heading, limits.MAX_HEADER_TEXT, "…"), "persona_header")]
    description, size = "", None
    if result.segment:
        description = truncate(escape(single_line(segment_description(result.segment, lang))), _DESCRIPTION_LIMIT)
        if result.segment.size is not None:
            size = t("segment.size", lang, size=count(result.segment.size, lang))
    top.extend(headline_blocks(result, description, size))

    citations: dict[str, Block | None] = {}
    for field in PROFILE_FIELDS:
        names = list(dict.fromkeys(single_line(name) for name in getattr(result.citations, field)))
        cited = ", ".join(escape(name) for name in names if name)
        citations[field] = (
            context([truncate(f"↳ {cited}", _CITATIONS_LIMIT)], f"persona_cite_{field}") if cited else None
        )

    bottom: list[Block] = []
    tag_lines = hashtag_lines(result)
    if tag_lines:
        bottom.append(section("\n".join([f"*{t('hashtags', lang)}*", *tag_lines]), "persona_hashtags"))
    bottom.append({"type": "divider", "block_id": "persona_divider_data"})
    bottom.extend(_demographics_blocks(result.demographics, lang, charts=charts))
    bottom.extend(_standouts_block(result.apps, lang))
    bottom.append(_apps_block(result.apps, lang, result.categories, more=more_apps_button(result)))
    bottom.extend(_closest_blocks(result.closest_segments, lang))
    bottom.append({"type": "divider", "block_id": "persona_divider_footer"})
    bottom.append(context(footer(result, cached_ago, shared=shared), "persona_footer"))
    bottom.extend(action_blocks(result.id, lang, ephemeral=ephemeral, retry=bool(single_line(result.meta.note or "")),
                                comparable=result.segment is not None))

    # The profile gets whatever the rest leaves under the message-wide ceiling, shared fairly between fields.
    # Compact: each field's name leads its text on the same line.
    heads = [f"*{t(f'field.{field}', lang)}*  " for field in PROFILE_FIELDS]
    bodies = [escape(getattr(result.profile, field).strip()) for field in PROFILE_FIELDS]
    fixed = limits.total_text([*top, *bottom, *(b for b in citations.values() if b)])
    budget = limits.MAX_TOTAL_TEXT - _TOTAL_MARGIN - fixed - sum(length(head) for head in heads)
    cap = limits.MAX_SECTION_TEXT - max(length(head) for head in heads)
    allot = _share([length(body) for body in bodies], budget, cap)

    middle: list[Block] = []
    for field, head, body, room in zip(PROFILE_FIELDS, heads, bodies, allot, strict=True):
        middle.append(section(head + (truncate(body, room) or "—"), f"persona_field_{field}"))
        if citations[field]:
            middle.append(citations[field])

    # The fallback is what notifications and screen readers show: the title and the first profile line.
    named = result.segment is not None and bool(single_line(result.segment.name))
    lead = t("title.fallback", lang, name=escape(heading)) if named else escape(heading)
    summary = escape(single_line(result.profile.basic_attributes))
    fallback = lead + (f" — {summary}" if summary else "")
    return {"text": truncate(fallback, _FALLBACK_LIMIT), "blocks": [*top, *middle, *bottom]}


# --- other messages ---------------------------------------------------------------------------------------------


def progress_card(*, title: str | None, apps: list[GroundingApp], demographics: Demographics | None, lang: str) -> dict:
    """The data part of the card, shown while the persona text is being written."""
    writing = t("writing", lang)
    heading = plain_label(title or "", limits.MAX_HEADER_TEXT, _pasted_title(len(apps), lang))
    blocks: list[Block] = [
        header(heading, "persona_header"),
        context([f"⏳ {writing}"], "persona_progress"),
    ]
    if demographics is not None:
        blocks.append({"type": "divider", "block_id": "persona_divider_data"})
        blocks.extend(_demographics_blocks(demographics, lang))
    blocks.extend(_standouts_block(apps, lang))
    blocks.append(_apps_block(apps, lang))
    return {"text": writing, "blocks": blocks}


def working_message(lang: str) -> dict:
    working = t("working", lang)
    return {"text": working, "blocks": [context([f"⏳ {working}"], "persona_working")]}


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
    blocks: list[Block] = [section(f"⚠️ {message}", "persona_error")]
    buttons = [
        button(single_line(name) or segment_id, f"persona_pick_segment_{n}", segment_id)
        for n, (segment_id, name) in enumerate(suggestions, start=1)
        # Ids are opaque machine names; one that carries Slack markup openers is not offered rather than escaped,
        # since the click sends the value back as the id to look up.
        if segment_id and length(segment_id) <= limits.MAX_BUTTON_VALUE and not _MARKUP_OPENER.search(segment_id)
    ][: limits.MAX_ACTIONS_ELEMENTS]
    if buttons:
        blocks.append(section(f"*{t('error.suggestions', lang)}*", "persona_suggestions_title"))
        blocks.append({"type": "actions", "block_id": "persona_suggestions", "elements": buttons})
    if example:
        shown = truncate(escape(single_line(example).replace("`", "'")), 500)
        if shown:
            blocks.append(context([t("error.example", lang, example=f"`{shown}`")], "persona_example"))
    if retry_value:
        retry = button(t("btn.retry", lang), "persona_retry", retry_value)
        blocks.append({"type": "actions", "block_id": "persona_retry_actions", "elements": [retry]})
    fallback = truncate(escape(single_line(text)), 1000) or t("error.generic", lang)
    return {"text": fallback, "blocks": blocks}
