"""Block Kit for a comparison: a header, Slack's `table` block with the figures, the overlap measure, and what sets
each segment apart.

The table's cells are `raw_text` (shown as typed, so names need no mrkdwn escaping); the summary is mrkdwn and
escaped like every other text from the warehouse or a writer.
"""

from __future__ import annotations

from typing import Any

from bot.compare import Comparison
from bot.compare_render import comparison_rows, comparison_title, segment_name, shared_line, written_by
from bot.i18n import t
from bot.mrkdwn import escape, single_line, truncate
from bot.slack.blocks import limits
from bot.slack.blocks.text_objects import modal_view, short_plain

Block = dict[str, Any]

_HEADER_LIMIT = 150
_SUMMARY_LINE_LIMIT = 500
_FALLBACK_LIMIT = 300


def table_block(rows: list[list[str]], block_id: str) -> Block:
    """A `table` block of raw_text cells; every column wraps, so long app lists stay readable on mobile."""
    rows = [row[:limits.MAX_TABLE_CELLS] for row in rows[:limits.MAX_TABLE_ROWS]]
    columns = len(rows[0]) if rows else 0
    return {
        "type": "table",
        "block_id": block_id,
        "column_settings": [{"is_wrapped": True}] * columns,
        "rows": [[{"type": "raw_text", "text": cell} for cell in row] for row in rows],
    }


def comparison_message(comparison: Comparison) -> dict[str, Any]:
    lang = comparison.lang
    title = comparison_title(comparison)
    summary = [truncate(escape(single_line(line)), _SUMMARY_LINE_LIMIT) for line in comparison.summary]
    blocks: list[Block] = [
        {"type": "header", "block_id": "compare_header",
         "text": {"type": "plain_text", "text": truncate(single_line(title), _HEADER_LIMIT) or "…", "emoji": True}},
        table_block(comparison_rows(comparison), "compare_table"),
        {"type": "context", "block_id": "compare_measure",
         "elements": [{"type": "mrkdwn", "text": escape(shared_line(comparison)), "verbatim": True},
                      {"type": "mrkdwn", "text": escape(t("compare.overlap_note", lang)), "verbatim": True}]},
        {"type": "section", "block_id": "compare_summary",
         "text": {"type": "mrkdwn", "verbatim": True,
                  "text": f"*{escape(t('compare.summary_title', lang))}*\n" + "\n".join(f"• {s}" for s in summary)}},
        {"type": "context", "block_id": "compare_written_by",
         "elements": [{"type": "mrkdwn", "verbatim": True,
                       "text": truncate(escape(written_by(comparison)), _SUMMARY_LINE_LIMIT)}]},
    ]
    names = ", ".join(segment_name(s, lang) for s in comparison.segments)
    fallback = truncate(single_line(t("compare.fallback", lang, names=names)), _FALLBACK_LIMIT)
    return {"text": fallback, "blocks": blocks}


# --- the "Compare with…" modal ---------------------------------------------------------------------------------

# One picker per other segment: Compare takes two to four segments, the card's own being the first.
OTHER_PICKERS = 3


def compare_picker_block(n: int) -> str:
    return f"compare_segment_{n}"


def compare_picker_action(n: int) -> str:
    """The persona picker's action id, numbered after the first: action ids must differ within a view, and the
    typeahead listener answers every `segment_picker…`."""
    return "segment_picker" if n == 1 else f"segment_picker_{n}"


def compare_modal(lang: str, segment_name: str, *, private_metadata: str) -> dict[str, Any]:
    """Pick the segments to compare with the card's; each picker is the persona picker's typeahead."""
    blocks: list[Block] = [
        {"type": "section", "block_id": "compare_with",
         "text": {"type": "mrkdwn", "verbatim": True,
                  "text": escape(t("compare.modal.segments", lang, name=single_line(segment_name)))}},
    ]
    for n in range(1, OTHER_PICKERS + 1):
        blocks.append({
            "type": "input",
            "block_id": compare_picker_block(n),
            "optional": True,
            "label": short_plain(t("compare.modal.segment_n", lang, n=n), 2000),
            **({"hint": short_plain(t("compare.modal.hint", lang), 2000)} if n == 1 else {}),
            "element": {"type": "external_select", "action_id": compare_picker_action(n), "min_query_length": 0,
                        "placeholder": short_plain(t("modal.segment_placeholder", lang), 150)},
        })
    return modal_view("compare_modal", lang, title=t("compare.modal.title", lang),
                      submit=t("compare.modal.submit", lang), private_metadata=private_metadata, blocks=blocks)
