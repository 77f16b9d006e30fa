"""The card's Export menu: Markdown, CSV or a PowerPoint slide, uploaded to the card's thread."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.slack.blocks.text_objects import short_plain

# The option's value is `<format>:<persona id>`; `parse_export_value` reads it back.
EXPORT_FORMATS = ("markdown", "csv", "pptx")


def export_menu(persona_id: str, lang: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "persona_export",
        "placeholder": short_plain(t("export.choose", lang)),
        "options": [{"text": short_plain(t(f"export.option_{fmt}", lang)), "value": f"{fmt}:{persona_id}"}
                    for fmt in EXPORT_FORMATS],
    }


def parse_export_value(value: str) -> tuple[list[str], str]:
    """(formats, persona id). A bare persona id is the Export button of cards posted before the menu: it gave
    Markdown and CSV together, and still does."""
    fmt, sep, persona_id = value.partition(":")
    if sep and fmt in EXPORT_FORMATS:
        return [fmt], persona_id
    return ["markdown", "csv"], value
