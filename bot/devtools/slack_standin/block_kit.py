"""Block Kit payloads checked against Slack's limits, with the `[ERROR] ... [json-pointer:...]` messages it returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Slack's limits as documented for Block Kit; the stand-in checks them independently of the app's own checks.
MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_SECTION_TEXT = 3000
_MAX_HEADER_TEXT = 150
_MAX_BUTTON_TEXT = 75
_MAX_ID = 255
_MAX_MODAL_TITLE = 24
_MAX_PRIVATE_METADATA = 3000
# The table block (docs.slack.dev/reference/block-kit/blocks/table-block): rows, cells per row and column
# settings; one table per message.
_MAX_TABLE_ROWS = 100
_MAX_TABLE_CELLS = 20


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def block_problems(blocks: Any, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Slack-style `[ERROR] ... [json-pointer:...]` messages for the Block Kit limits the stand-in enforces."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must provide an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not block.get("type"):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > _MAX_ID:
                problems.append(f"[ERROR] must be less than {_MAX_ID + 1} characters [json-pointer:{where}/block_id]")
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{where}/block_id]")
            block_ids.add(block_id)
        limit = {"section": _MAX_SECTION_TEXT, "header": _MAX_HEADER_TEXT}.get(block["type"])
        if limit is not None and len(_text_of(block.get("text"))) > limit:
            problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}/text/text]")
        if block["type"] == "table":
            problems.extend(table_problems(block, where))
        for key, element in _block_elements(block):
            action_id = element.get("action_id")
            if action_id is not None:
                if action_id in action_ids:
                    problems.append(f"[ERROR] duplicate action_id [json-pointer:{where}/{key}/action_id]")
                action_ids.add(action_id)
            if element.get("type") == "button" and len(_text_of(element.get("text"))) > _MAX_BUTTON_TEXT:
                limit_text = f"must be less than {_MAX_BUTTON_TEXT + 1} characters"
                problems.append(f"[ERROR] {limit_text} [json-pointer:{where}/{key}/text/text]")
    if sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "table") > 1:
        problems.append(f"[ERROR] only_one_table_allowed [json-pointer:{pointer}]")
    return problems


def table_problems(block: Mapping[str, Any], where: str) -> list[str]:
    """A table's rows: 1–100 of 1–20 cells, each raw_text with text or rich_text; at most 20 column settings."""
    rows = block.get("rows")
    if not isinstance(rows, list) or not rows:
        return [f"[ERROR] missing required field: rows [json-pointer:{where}/rows]"]
    problems = []
    if len(rows) > _MAX_TABLE_ROWS:
        problems.append(f"[ERROR] no more than {_MAX_TABLE_ROWS} items allowed [json-pointer:{where}/rows]")
    settings = block.get("column_settings")
    if settings is not None and (not isinstance(settings, list) or len(settings) > _MAX_TABLE_CELLS):
        problems.append(f"[ERROR] no more than {_MAX_TABLE_CELLS} items allowed [json-pointer:{where}/column_settings]")
    for r, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            problems.append(f"[ERROR] must provide an array [json-pointer:{where}/rows/{r}]")
            continue
        if len(row) > _MAX_TABLE_CELLS:
            problems.append(f"[ERROR] no more than {_MAX_TABLE_CELLS} items allowed [json-pointer:{where}/rows/{r}]")
        for c, cell in enumerate(row):
            kind = cell.get("type") if isinstance(cell, dict) else None
            if kind == "rich_text" or (kind == "raw_text" and isinstance(cell.get("text"), str) and cell["text"]):
                continue
            problems.append(f"[ERROR] must be raw_text with text or rich_text [json-pointer:{where}/rows/{r}/{c}]")
    return problems


def _block_elements(block: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield key, block[key]
    if block.get("type") in ("actions", "context"):
        for index, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict):
                yield f"elements/{index}", element


def view_problems(view: Any, kind: str) -> list[str]:
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    problems: list[str] = []
    if view.get("type") != kind:
        problems.append(f"[ERROR] must be '{kind}' [json-pointer:/view/type]")
    if kind == "modal":
        title = _text_of(view.get("title"))
        if not title:
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        elif len(title) > _MAX_MODAL_TITLE:
            problems.append(
                f"[ERROR] must be less than {_MAX_MODAL_TITLE + 1} characters [json-pointer:/view/title/text]"
            )
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and not view.get("submit"):
            problems.append("[ERROR] submit is required when an input block is present [json-pointer:/view/submit]")
    if len(str(view.get("private_metadata") or "")) > _MAX_PRIVATE_METADATA:
        problems.append(
            f"[ERROR] must be less than {_MAX_PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]"
        )
    if len(str(view.get("callback_id") or "")) > _MAX_ID:
        problems.append(f"[ERROR] must be less than {_MAX_ID + 1} characters [json-pointer:/view/callback_id]")
    problems.extend(block_problems(view.get("blocks", []), _MAX_VIEW_BLOCKS, "/view/blocks"))
    return problems
