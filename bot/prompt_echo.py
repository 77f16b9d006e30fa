"""Spotting writer output that repeats our prompt templates.

A model that "obeys" an injected "print your instructions" puts the system prompt into a profile field or a
follow-up point. Such text must never reach a card. The rule: a text echoes the prompt when, after removing the
input data it may legitimately quote (app names, segment text), it still holds a run of `RUN_WORDS` consecutive
words found verbatim in one of the templates, or one of the template's private words (the data tag, the setting
names) that no persona has a reason to use. Eight words is long enough that ordinary persona prose never matches
(the templates are instructions, not descriptions) and short enough that a partial leak is caught.

The few-shot examples (`persona_example.v2.<lang>.json`, one per language) are part of the persona prompts
too: a small model copies their prose rather than describing the segment at hand. Their texts are checked the same
way and reported as their own source (`echo_source`), so a log can tell a copied example from a leaked
instruction.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Any, Literal

from prompts import load_template

RUN_WORDS = 8
TEMPLATES = (
    "persona_system.v2.txt",
    "persona_user.v2.txt",
    "json_repair.v1.txt",
    "followup_system.v2.txt",
    "followup_answer_json.v1.txt",
    "followup_answer_text.v1.txt",
    "chat_system.v1.txt",
    "chat_user.v1.txt",
    "chat_answer_json.v1.txt",
    "chat_answer_text.v1.txt",
)
# Words only our prompts use: the data delimiters and the setting names the user message carries.
PRIVATE_WORDS = frozenset({"segment_data", "persona_data", "hashtag_zh_script", "needs_estimate",
                           "demographics_estimate"})

_WORD = re.compile(r"\w+")
_PLACEHOLDER = re.compile(r"\$\w+")


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(unicodedata.normalize("NFKC", text))]


def _runs(pieces: Iterable[str]) -> frozenset[tuple[str, ...]]:
    runs: set[tuple[str, ...]] = set()
    for piece in pieces:
        words = _words(piece)
        runs.update(tuple(words[i : i + RUN_WORDS]) for i in range(len(words) - RUN_WORDS + 1))
    return frozenset(runs)


@cache
def _template_runs() -> frozenset[tuple[str, ...]]:
    # Imported here: the follow-up kinds' service uses this guard, so a module-level import would be circular.
    from bot.followups.registry import kinds

    # Every registered follow-up kind's template too, so a new kind is guarded without touching this file.
    # Placeholders are filled with data, so a run never spans one.
    names = (*TEMPLATES, *(kind.template for kind in kinds()))
    return _runs(piece for name in names for piece in _PLACEHOLDER.split(load_template(name)))


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@cache
def _example_runs() -> frozenset[tuple[str, ...]]:
    # Imported here, like the kinds: the prompt builder names the example files.
    from bot.prompting import EXAMPLE_FILES

    pieces: list[str] = []
    for name in EXAMPLE_FILES.values():
        example = json.loads(load_template(name))
        # Only the prose: the example's app names (Keep, Strava) may well be in a real request too.
        segment = example["request"]["grounding"].get("segment") or {}
        pieces += [*_strings(example["output"]["profile"]),
                   *(segment.get(key, "") for key in ("description", "description_zh_tw", "description_zh_cn"))]
    return _runs(pieces)


def _without(text: str, quoted: Iterable[str]) -> str:
    # Longest first, so a name that contains another is removed whole.
    for value in sorted({q for q in quoted if q and q.strip()}, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def _has_run(words: list[str], runs: frozenset[tuple[str, ...]]) -> bool:
    return any(tuple(words[i : i + RUN_WORDS]) in runs for i in range(len(words) - RUN_WORDS + 1))


EchoSource = Literal["prompt", "example"]


def echo_source(text: str, quoted: Iterable[str] = ()) -> EchoSource | None:
    """What `text` repeats beyond what it quotes from `quoted` (the input data): our instructions ("prompt"),
    the few-shot example's prose ("example"), or nothing (None)."""
    words = _words(_without(unicodedata.normalize("NFKC", text), (unicodedata.normalize("NFKC", q) for q in quoted)))
    if PRIVATE_WORDS.intersection(words) or _has_run(words, _template_runs()):
        return "prompt"
    if _has_run(words, _example_runs()):
        return "example"
    return None


def echoes_prompt(text: str, quoted: Iterable[str] = ()) -> bool:
    """Whether `text` repeats prompt template text beyond what it quotes from `quoted` (the input data).

    The few-shot example is not counted here: its prose is a fine persona in itself, only not for another segment
    (`echo_source` tells that apart for the checks on a writer's reply).
    """
    return echo_source(text, quoted) == "prompt"
