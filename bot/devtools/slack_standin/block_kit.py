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
# data_visualization (docs.slack.dev/reference/block-kit/blocks/data-visualization-block) and context_actions.
_MAX_CHART_TITLE = 50
_MAX_CHART_LABEL = 20
_MAX_AXIS_LABEL = 50
_MAX_CHART_ITEMS = 6
_MAX_CHARTS = 2
_MAX_CONTEXT_ACTIONS = 5
# The table block (docs.slack.dev/reference/block-kit/blocks/table-block): rows, cells per row and column
# settings; one table per message.
_MAX_TABLE_ROWS = 100
_MAX_TABLE_CELLS = 20


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def block_problems(blocks: Any, max_blocks: int, pointer: str = "/blocks", *, charts: bool = True) -> list[str]:
    """Slack-style `[ERROR] ... [json-pointer:...]` messages for the Block Kit limits the stand-in enforces.

    `charts=False` answers as a workspace whose Slack does not know the chart block: any chart is an error.
    """
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
        if block["type"] == "data_visualization":
            problems.extend(_chart_problems(block, where) if charts else
                            [f"[ERROR] unsupported type: data_visualization [json-pointer:{where}/type]"])
        if block["type"] == "context_actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= _MAX_CONTEXT_ACTIONS:
                problems.append(_count_error(_MAX_CONTEXT_ACTIONS, f"{where}/elements"))
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
    charts_in = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "data_visualization")
    if charts_in > _MAX_CHARTS:
        problems.append(f"[ERROR] no more than {_MAX_CHARTS} charts allowed [json-pointer:{pointer}]")
    if sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "table") > 1:
        problems.append(f"[ERROR] only_one_table_allowed [json-pointer:{pointer}]")
    return problems


def _count_error(most: int, pointer: str) -> str:
    return f"[ERROR] must provide 1 to {most} items [json-pointer:{pointer}]"


def _too_long(value: Any, limit: int) -> bool:
    return not isinstance(value, str) or not value or len(value) > limit


def _chart_problems(block: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if _too_long(block.get("title"), _MAX_CHART_TITLE):
        problems.append(f"[ERROR] must be 1 to {_MAX_CHART_TITLE} characters [json-pointer:{where}/title]")
    chart = block.get("chart") if isinstance(block.get("chart"), dict) else {}
    kind = chart.get("type")
    if kind == "pie":
        segments = chart.get("segments")
        if not isinstance(segments, list) or not 1 <= len(segments) <= _MAX_CHART_ITEMS:
            return [*problems, _count_error(_MAX_CHART_ITEMS, f"{where}/chart/segments")]
        for i, segment in enumerate(segments):
            segment = segment if isinstance(segment, dict) else {}
            if _too_long(segment.get("label"), _MAX_CHART_LABEL):
                problems.append(f"[ERROR] must be 1 to {_MAX_CHART_LABEL} characters "
                                f"[json-pointer:{where}/chart/segments/{i}/label]")
            value = segment.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                problems.append(f"[ERROR] must be greater than 0 [json-pointer:{where}/chart/segments/{i}/value]")
    elif kind in ("bar", "area", "line"):
        axis = chart.get("axis_config")
        if not isinstance(axis, dict):
            return [*problems, f"[ERROR] missing required field: axis_config [json-pointer:{where}/chart/axis_config]"]
        categories = axis.get("categories") if isinstance(axis.get("categories"), list) else []
        for i, category in enumerate(categories):
            if _too_long(category, _MAX_CHART_LABEL):
                problems.append(f"[ERROR] must be 1 to {_MAX_CHART_LABEL} characters "
                                f"[json-pointer:{where}/chart/axis_config/categories/{i}]")
        for key in ("x_label", "y_label"):
            if key in axis and _too_long(axis[key], _MAX_AXIS_LABEL):
                problems.append(f"[ERROR] must be 1 to {_MAX_AXIS_LABEL} characters "
                                f"[json-pointer:{where}/chart/axis_config/{key}]")
        series = chart.get("series")
        if not isinstance(series, list) or not 1 <= len(series) <= _MAX_CHART_ITEMS:
            return [*problems, _count_error(_MAX_CHART_ITEMS, f"{where}/chart/series")]
        for i, one in enumerate(series):
            for j, point in enumerate((one or {}).get("data") or []):
                if (point or {}).get("label") not in categories:
                    problems.append("[ERROR] label must be one of axis_config.categories "
                                    f"[json-pointer:{where}/chart/series/{i}/data/{j}/label]")
    else:
        problems.append(f"[ERROR] must be one of pie, bar, area, line [json-pointer:{where}/chart/type]")
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
