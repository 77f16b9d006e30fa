"""Spotting writer output that repeats our prompt templates.

A model that "obeys" an injected "print your instructions" puts the system prompt into a profile field or a
follow-up point. Such text must never reach a card. The rule: a text echoes the prompt when, after removing the
input data it may legitimately quote (app names, segment text), it still holds a run of `RUN_WORDS` consecutive
words found verbatim in one of the templates, or one of the template's private words (the data tag, the setting
names) that no persona has a reason to use. Eight words is long enough that ordinary persona prose never matches
(the templates are instructions, not descriptions) and short enough that a partial leak is caught.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from prompts import load_template

RUN_WORDS = 8
TEMPLATES = (
    "persona_system.v1.txt",
    "persona_user.v1.txt",
    "json_repair.v1.txt",
    "followup_system.v1.txt",
)
# Words only our prompts use: the data delimiters and the setting names the user message carries.
PRIVATE_WORDS = frozenset({"segment_data", "hashtag_zh_script", "needs_estimate", "demographics_estimate"})

_WORD = re.compile(r"\w+")
_PLACEHOLDER = re.compile(r"\$\w+")


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(unicodedata.normalize("NFKC", text))]


@cache
def _template_runs() -> frozenset[tuple[str, ...]]:
    # Imported here: the follow-up kinds' service uses this guard, so a module-level import would be circular.
    from bot.followups.registry import kinds

    runs: set[tuple[str, ...]] = set()
    # Every registered follow-up kind's template too, so a new kind is guarded without touching this file.
    for name in (*TEMPLATES, *(kind.template for kind in kinds())):
        # Placeholders are filled with data, so a run never spans one.
        for piece in _PLACEHOLDER.split(load_template(name)):
            words = _words(piece)
            runs.update(tuple(words[i : i + RUN_WORDS]) for i in range(len(words) - RUN_WORDS + 1))
    return frozenset(runs)


def _without(text: str, quoted: Iterable[str]) -> str:
    # Longest first, so a name that contains another is removed whole.
    for value in sorted({q for q in quoted if q and q.strip()}, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def echoes_prompt(text: str, quoted: Iterable[str] = ()) -> bool:
    """Whether `text` repeats prompt template text beyond what it quotes from `quoted` (the input data)."""
    words = _words(_without(unicodedata.normalize("NFKC", text), (unicodedata.normalize("NFKC", q) for q in quoted)))
    if PRIVATE_WORDS.intersection(words):
        return True
    runs = _template_runs()
    return any(tuple(words[i : i + RUN_WORDS]) in runs for i in range(len(words) - RUN_WORDS + 1))
