"""`state.values` of a view or message, built from the surface's blocks and what the page says was entered.

The page sends plain values per `block_id`/`action_id`; the shapes Slack puts in payloads (typed entries,
`selected_option` objects copied from the element's own options) are made here, so they match what Slack sends.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any


class InvalidInput(ValueError):
    """The page sent a value the surface cannot hold (an option the select does not offer, a wrong type)."""


_SELECTS = ("static_select", "external_select")


def _stateful_elements(blocks: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id") or "")
        candidates: list[Any] = []
        if block.get("type") == "input":
            candidates.append(block.get("element"))
        elif block.get("type") == "actions":
            candidates.extend(block.get("elements") or [])
        elif block.get("type") == "section":
            candidates.append(block.get("accessory"))
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") and element.get("type") in (
                "plain_text_input",
                *_SELECTS,
            ):
                yield block_id, element


def options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return [o for o in options if isinstance(o, dict)]


def selected_option(element: Mapping[str, Any], raw: Any) -> dict[str, Any] | None:
    """The option object for a selection; external options come from the app, so the page sends them whole."""
    if raw in (None, ""):
        return None
    if element.get("type") == "external_select":
        if not isinstance(raw, Mapping) or not isinstance(raw.get("value"), str):
            raise InvalidInput(f"{element.get('action_id')}: a selection needs a value")
        text = raw.get("text")
        label = text if isinstance(text, Mapping) else {"type": "plain_text", "text": str(text or raw["value"])}
        return {"text": {"type": "plain_text", "text": str(label.get("text", "")), "emoji": True},
                "value": raw["value"]}
    value = raw.get("value") if isinstance(raw, Mapping) else raw
    for option in options_of(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    raise InvalidInput(f"{element.get('action_id')}: {value!r} is not one of the options")


def _entry(element: Mapping[str, Any], raw: Any, given: bool) -> dict[str, Any]:
    kind = str(element["type"])
    if kind == "plain_text_input":
        if given and raw is not None and not isinstance(raw, str):
            raise InvalidInput(f"{element.get('action_id')}: text expected")
        value = raw if given else element.get("initial_value")
        return {"type": kind, "value": value if value not in ("", None) else None}
    option = selected_option(element, raw) if given else copy.deepcopy(element.get("initial_option"))
    return {"type": kind, "selected_option": option}


def state_values(blocks: Any, entered: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Every stateful element of `blocks`, with what the page entered or else the element's initial value."""
    entered = entered or {}
    if not isinstance(entered, Mapping):
        raise InvalidInput("values must be an object of block_id → action_id → value")
    values: dict[str, dict[str, Any]] = {}
    for block_id, element in _stateful_elements(blocks):
        by_action = entered.get(block_id) or {}
        if not isinstance(by_action, Mapping):
            raise InvalidInput(f"{block_id}: values must be an object of action_id → value")
        action_id = str(element["action_id"])
        values.setdefault(block_id, {})[action_id] = _entry(element, by_action.get(action_id), action_id in by_action)
    return values
