"""Checks a Block Kit payload against Slack's limits, reporting a path and the figures for each break.

Slack's own `invalid_blocks` error names neither the block nor the limit; these checks do, so a test that fails
says which field of which block grew too long. slack_sdk's block models catch further formation errors; their
messages are included as well.
"""

from __future__ import annotations

from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.mrkdwn import length
from bot.slack.blocks.limits import (  # one source of the figures for the builders and these checks
    _TEXT_TYPES,
    MAX_ACTIONS_ELEMENTS,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_URL,
    MAX_BUTTON_VALUE,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_ID,
    MAX_MODAL_TITLE,
    MAX_SECTION_TEXT,
    MAX_TABLE_CELLS,
    MAX_TABLE_ROWS,
    MAX_TEXT_OBJECT,
    MAX_TOTAL_TEXT,
    total_text,
)

Kind = Literal["message", "modal"]

# Slack's documented limits for the blocks slack_sdk has no model of (docs.slack.dev/reference/block-kit/blocks/…),
# kept here apart from the builders' figures so a builder that drifts is caught.
CHART_TITLE = 50  # data_visualization: title
CHART_LABEL = 20  # pie segment label, axis category, series name
AXIS_LABEL = 50  # axis_config x_label / y_label
CHART_ITEMS = 6  # pie segments; bar, area and line series
CHARTS_PER_MESSAGE = 2
CONTEXT_ACTIONS_ELEMENTS = 5
ACCESSIBILITY_LABEL = 75
_SERIES_CHARTS = ("bar", "area", "line")


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def text(self, path: str, obj: Any, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in _TEXT_TYPES:
            self.add(path, "expected a text object")
            return
        if plain_only and obj["type"] != "plain_text":
            self.add(path, f"must be plain_text, not {obj['type']}")
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            self.add(path, "text is missing or blank")
            return
        if length(text) > limit:
            self.add(path, f"text is {length(text)} characters (limit {limit})")

    def block_id(self, path: str, block: dict[str, Any]) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        if not isinstance(block_id, str) or not block_id:
            self.add(path, "block_id must be a non-empty string")
            return
        if length(block_id) > MAX_ID:
            self.add(path, f"block_id is {length(block_id)} characters (limit {MAX_ID})")
        if block_id in self.block_ids:
            self.add(path, f"duplicate block_id {block_id!r}")
        self.block_ids.add(block_id)

    def element(self, path: str, element: Any) -> None:
        if not isinstance(element, dict):
            self.add(path, "expected an element object")
            return
        action_id = element.get("action_id")
        if action_id is not None:
            if not isinstance(action_id, str) or not action_id:
                self.add(path, "action_id must be a non-empty string")
            else:
                if length(action_id) > MAX_ID:
                    self.add(path, f"action_id is {length(action_id)} characters (limit {MAX_ID})")
                # Interaction handlers route on action_id; a duplicate makes one button unreachable.
                if action_id in self.action_ids:
                    self.add(path, f"duplicate action_id {action_id!r}")
                self.action_ids.add(action_id)
        if element.get("type") == "button":
            self.text(f"{path}.text", element.get("text"), MAX_BUTTON_TEXT, plain_only=True)
            value = element.get("value")
            if value is not None and (not isinstance(value, str) or length(value) > MAX_BUTTON_VALUE):
                self.add(path, f"button value longer than {MAX_BUTTON_VALUE} characters")
            url = element.get("url")
            if url is not None and (not isinstance(url, str) or length(url) > MAX_BUTTON_URL):
                self.add(path, f"button url longer than {MAX_BUTTON_URL} characters")

    def block(self, path: str, block: Any) -> None:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            self.add(path, "expected a block object with a type")
            return
        self.block_id(path, block)
        kind = block["type"]
        if kind == "header":
            self.text(f"{path}.text", block.get("text"), MAX_HEADER_TEXT, plain_only=True)
        elif kind == "section":
            self.section(path, block)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(path, "context needs at least one element")
                return
            if len(elements) > MAX_CONTEXT_ELEMENTS:
                self.add(path, f"{len(elements)} context elements (limit {MAX_CONTEXT_ELEMENTS})")
            for i, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") in _TEXT_TYPES:
                    self.text(f"{path}.elements[{i}]", element, MAX_TEXT_OBJECT)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(path, "actions needs at least one element")
                return
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                self.add(path, f"{len(elements)} action elements (limit {MAX_ACTIONS_ELEMENTS})")
            for i, element in enumerate(elements):
                self.element(f"{path}.elements[{i}]", element)
        elif kind == "context_actions":
            self.context_actions(path, block)
        elif kind == "data_visualization":
            # slack_sdk has no model of the chart block: these checks are all there is before Slack.
            self.chart(path, block)
            return
        elif kind == "table":
            self.table(path, block)
        self.sdk(path, block)

    def limited(self, path: str, value: Any, limit: int, *, required: bool = True) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or not value.strip():
            self.add(path, "must be a non-blank string")
        elif length(value) > limit:
            self.add(path, f"is {length(value)} characters (limit {limit})")

    def chart(self, path: str, block: dict[str, Any]) -> None:
        self.limited(f"{path}.title", block.get("title"), CHART_TITLE)
        chart = block.get("chart")
        if not isinstance(chart, dict):
            self.add(f"{path}.chart", "expected a chart object")
            return
        kind = chart.get("type")
        if kind == "pie":
            segments = chart.get("segments")
            if not isinstance(segments, list) or not 1 <= len(segments) <= CHART_ITEMS:
                self.add(f"{path}.chart.segments", f"needs 1–{CHART_ITEMS} segments")
                return
            for i, segment in enumerate(segments):
                where = f"{path}.chart.segments[{i}]"
                self.limited(f"{where}.label", (segment or {}).get("label"), CHART_LABEL)
                self.positive(f"{where}.value", (segment or {}).get("value"))
        elif kind in _SERIES_CHARTS:
            self.series_chart(f"{path}.chart", chart)
        else:
            self.add(f"{path}.chart.type", f"unknown chart type {kind!r}")

    def positive(self, path: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            self.add(path, f"value must be a number above 0, not {value!r}")

    def series_chart(self, path: str, chart: dict[str, Any]) -> None:
        axis = chart.get("axis_config")
        if not isinstance(axis, dict):
            self.add(f"{path}.axis_config", "is required for a series chart")
            return
        categories = axis.get("categories")
        if not isinstance(categories, list) or not categories:
            self.add(f"{path}.axis_config.categories", "needs at least one category")
            categories = []
        for i, category in enumerate(categories):
            self.limited(f"{path}.axis_config.categories[{i}]", category, CHART_LABEL)
        if len(set(map(str, categories))) != len(categories):
            self.add(f"{path}.axis_config.categories", "categories must be unique")
        for key in ("x_label", "y_label"):
            self.limited(f"{path}.axis_config.{key}", axis.get(key), AXIS_LABEL, required=False)
        series = chart.get("series")
        if not isinstance(series, list) or not 1 <= len(series) <= CHART_ITEMS:
            self.add(f"{path}.series", f"needs 1–{CHART_ITEMS} series")
            return
        names = [str((one or {}).get("name")) for one in series]
        if len(set(names)) != len(names):
            self.add(f"{path}.series", "series names must be unique")
        for i, one in enumerate(series):
            where = f"{path}.series[{i}]"
            self.limited(f"{where}.name", (one or {}).get("name"), CHART_LABEL)
            data = (one or {}).get("data")
            if not isinstance(data, list) or not data:
                self.add(f"{where}.data", "needs at least one data point")
                continue
            for j, point in enumerate(data):
                label = (point or {}).get("label")
                if label not in categories:
                    self.add(f"{where}.data[{j}].label", f"{label!r} is not one of the axis categories")
                value = (point or {}).get("value")
                if isinstance(value, bool) or not isinstance(value, int | float):
                    self.add(f"{where}.data[{j}].value", "must be a number")

    def context_actions(self, path: str, block: dict[str, Any]) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ACTIONS_ELEMENTS:
            self.add(path, f"context_actions needs 1–{CONTEXT_ACTIONS_ELEMENTS} elements")
            return
        for i, element in enumerate(elements):
            where = f"{path}.elements[{i}]"
            self.element(where, element)
            if not isinstance(element, dict):
                continue
            if element.get("type") == "feedback_buttons":
                for key in ("positive_button", "negative_button"):
                    button = element.get(key)
                    if not isinstance(button, dict):
                        self.add(f"{where}.{key}", "is required")
                        continue
                    self.text(f"{where}.{key}.text", button.get("text"), MAX_BUTTON_TEXT, plain_only=True)
                    self.limited(f"{where}.{key}.value", button.get("value"), MAX_BUTTON_VALUE)
                    self.limited(f"{where}.{key}.accessibility_label", button.get("accessibility_label"),
                                 ACCESSIBILITY_LABEL, required=False)
            elif element.get("type") != "icon_button":
                self.add(f"{where}.type", f"context_actions holds feedback_buttons or icon_button, not "
                                          f"{element.get('type')!r}")

    def section(self, path: str, block: dict[str, Any]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            self.add(path, "section needs text or fields")
        if text is not None:
            self.text(f"{path}.text", text, MAX_SECTION_TEXT)
        if fields is not None:
            if not isinstance(fields, list):
                self.add(f"{path}.fields", "expected a list")
                return
            if len(fields) > MAX_FIELDS:
                self.add(path, f"{len(fields)} fields (limit {MAX_FIELDS})")
            for i, field in enumerate(fields):
                self.text(f"{path}.fields[{i}]", field, MAX_FIELD_TEXT)
        if "accessory" in block:
            self.element(f"{path}.accessory", block["accessory"])

    def table(self, path: str, block: dict[str, Any]) -> None:
        """Slack's table block: 1–100 rows of 1–20 cells, each `raw_text` with text or `rich_text`, and at most 20
        column settings (docs.slack.dev/reference/block-kit/blocks/table-block)."""
        rows, settings = block.get("rows"), block.get("column_settings")
        if not isinstance(rows, list) or not rows:
            self.add(path, "table needs at least one row")
            return
        if len(rows) > MAX_TABLE_ROWS:
            self.add(path, f"{len(rows)} table rows (limit {MAX_TABLE_ROWS})")
        if settings is not None and (not isinstance(settings, list) or len(settings) > MAX_TABLE_CELLS):
            self.add(f"{path}.column_settings", f"expected a list of at most {MAX_TABLE_CELLS} settings")
        for r, row in enumerate(rows):
            if not isinstance(row, list) or not row:
                self.add(f"{path}.rows[{r}]", "a row needs at least one cell")
                continue
            if len(row) > MAX_TABLE_CELLS:
                self.add(f"{path}.rows[{r}]", f"{len(row)} cells (limit {MAX_TABLE_CELLS})")
            for c, cell in enumerate(row):
                kind = cell.get("type") if isinstance(cell, dict) else None
                if kind == "raw_text" and isinstance(cell.get("text"), str) and cell["text"]:
                    continue
                if kind != "rich_text":
                    self.add(f"{path}.rows[{r}][{c}]", "a cell is raw_text with non-empty text, or rich_text")

    def sdk(self, path: str, block: dict[str, Any]) -> None:
        try:
            parsed = Block.parse(block)
            if parsed is None:
                self.add(path, f"unknown block type {block['type']!r}")
            else:
                parsed.to_dict()
        except SlackObjectFormationError as err:
            self.add(path, f"slack_sdk: {err}")
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            self.add(path, f"slack_sdk could not read the block: {err!r}")


def violations(payload: dict[str, Any], kind: Kind = "message") -> list[str]:
    """Every way `payload` (a message, or a modal view with `kind="modal"`) breaks Slack's limits.

    An empty list means the payload fits. Messages need a non-empty fallback `text`.
    """
    check = _Checker()
    blocks = payload.get("blocks", [])
    if not isinstance(blocks, list):
        return ["blocks: expected a list"]
    if kind == "message":
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            check.add("text", "fallback text is missing or blank")
        elif length(text) > MAX_FALLBACK_TEXT:
            check.add("text", f"fallback text is {length(text)} characters (limit {MAX_FALLBACK_TEXT})")
    else:
        if payload.get("type") != "modal":
            check.add("type", "a modal view needs type 'modal'")
        check.text("title", payload.get("title"), MAX_MODAL_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if key in payload:
                check.text(key, payload[key], MAX_MODAL_TITLE, plain_only=True)
    if len(blocks) > MAX_BLOCKS[kind]:
        check.add("blocks", f"{len(blocks)} blocks (limit {MAX_BLOCKS[kind]})")
    for i, block in enumerate(blocks):
        check.block(f"blocks[{i}]", block)
    charts = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "data_visualization")
    if charts > CHARTS_PER_MESSAGE:
        check.add("blocks", f"{charts} charts (limit {CHARTS_PER_MESSAGE} per message)")
    tables = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "table")
    if tables > 1:
        # Slack answers `only_one_table_allowed` to a message with two.
        check.add("blocks", f"{tables} table blocks (limit 1 per message)")
    total = total_text(blocks)
    if total > MAX_TOTAL_TEXT:
        check.add("blocks", f"{total} characters of text in blocks (limit {MAX_TOTAL_TEXT})")
    return check.problems
