"""Reading a pasted list that is valid JSON: names, {name, score} objects, [name, score] pairs or {name: score}."""

from __future__ import annotations

import json
from typing import Any

from bot.parsing.cells import Item, Number, is_name, negative_text, parse_cell, parse_number, role_of


def json_items(text: str) -> list[Item] | None:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):  # deeply nested brackets exhaust the decoder's stack
        return None
    items: list[Item] = []
    _collect_json(data, items, depth=0)
    return items or None


def _collect_json(data: Any, items: list[Item], depth: int) -> None:
    if depth > 2:
        return
    if isinstance(data, list):
        for entry in data:
            _collect_json_entry(entry, items, depth)
    elif isinstance(data, dict):
        if any(role_of(str(key)) == "name" for key in data):
            _collect_json_entry(data, items, depth)
        elif len(data) == 1 and isinstance(next(iter(data.values())), list | dict):
            _collect_json(next(iter(data.values())), items, depth + 1)  # {"apps": [...]}
        else:
            for name, score in data.items():
                _append_json_item(str(name), score, items)


def _collect_json_entry(entry: Any, items: list[Item], depth: int) -> None:
    if isinstance(entry, str):
        _append_json_item(entry, None, items)
    elif isinstance(entry, int) and not isinstance(entry, bool):
        _append_json_item(str(entry), None, items)
    elif isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str):
        _append_json_item(entry[0], entry[1], items)
    elif isinstance(entry, dict):
        name = next((v for k, v in entry.items() if role_of(str(k)) == "name" and isinstance(v, str)), None)
        if name is None:
            _collect_json(entry, items, depth + 1)
            return
        score = next((v for k, v in entry.items() if role_of(str(k)) == "score"), None)
        _append_json_item(name, score, items)


def _append_json_item(name: str, score: Any, items: list[Item]) -> None:
    item = parse_cell(name)
    if not is_name(item.name):
        return
    number: Number | None = None
    if isinstance(score, int | float) and not isinstance(score, bool):
        number = Number(float(score), False, isinstance(score, int))
    elif isinstance(score, str):
        number = parse_number(score)
        if number is None and negative_text(score) is not None:
            item.out_of_range = negative_text(score)
    if number is not None and number.is_score and not (number.percent and number.value > 100):
        item.set_score(number.value, number.percent, number.integer)
    elif number is not None:
        item.out_of_range = number.text  # given as the score, so out of range rather than part of the name
    items.append(item)


