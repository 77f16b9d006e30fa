"""Every output language in one place: one data file per language, `bot/data/locales/<code>.json`.

A file holds the language's names (`display_name` for pickers, `model_name` for prompts), the Slack locales it
serves, the Chinese script its hashtags use, the UI strings (`strings`), the offline writer's phrasing
(`offline`) and, optionally, the strings of follow-up kinds (`followups.<kind id>`).

Why kinds' strings may sit here: a follow-up kind carries its strings for the languages that existed when it was
written (in its own module, so adding a kind touches its module, the registry line and its prompt template). A
language added later brings the kinds' strings in its own file instead, so adding a language touches only its file
and the `Lang` enum in `bot/config.py`. The registry refuses a string defined in both places.

Loading tolerates nothing: a missing file, a missing or extra key, or a placeholder that one language has and
another lacks stops the bot at start rather than showing a user a `KeyError`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from string import Formatter
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.config import LANGS, Lang

# The language of anyone whose Slack locale no language file claims.
FALLBACK: Lang = "en"


# Alternative wordings of one sentence; the offline writer picks one per persona so that forty personas do not
# share a sentence frame. Every language has the same number of them, each with the same placeholders.
Frames = Annotated[tuple[str, ...], Field(min_length=1)]


class Phrasing(BaseModel):
    """Sentence templates of the offline persona draft; the words come from the lexicon."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Words are separated by spaces: long text is cut at a space, labels are capitalised and lists of app names
    # read "A, B and C". Without spaces (Chinese) names are listed with `list_sep` only.
    spaced_words: bool
    and_word: str
    list_sep: str
    sentence_sep: str
    personality: Frames
    psych: Frames
    interests: Frames
    lifestyle_one: str
    lifestyle_two: str
    lifestyle_apps: Frames
    people: Frames
    no_figures: str
    estimated: str
    figures_both: str
    figures_one: str
    gender_mostly: Frames
    gender_more: Frames
    gender_even: Frames
    gender_labels: dict[str, str]
    age_mostly: Frames
    age_spread: Frames
    age_range: str
    age_plus: str
    age_under: str


class Language(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Lang
    display_name: str = Field(min_length=1)
    # How prompts name the language, e.g. "Traditional Chinese as written in Taiwan (zh-TW)".
    model_name: str = Field(min_length=1)
    # Lower-case Slack locale tags (or their first parts, e.g. "zh-hant") this language serves; the longest match
    # wins, so "zh-hant" beats "zh" for "zh-Hant-TW".
    slack_locales: tuple[str, ...] = Field(min_length=1)
    # Hashtags come in Chinese and English whatever the prose language; the Chinese ones in this script.
    hashtag_zh_lang: Lang
    hashtag_zh_script: str = Field(min_length=1)
    strings: dict[str, str]
    offline: Phrasing
    followups: dict[str, dict[str, str]] = Field(default_factory=dict)


def placeholders(template: str) -> set[str]:
    """The `{names}` a format string fills."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def _texts(language: Language) -> dict[str, str]:
    """Every text of a language that must exist in all languages with the same placeholders."""
    phrasing = language.offline.model_dump(exclude={"gender_labels"})
    texts = {f"offline.{k}": v for k, v in phrasing.items() if isinstance(v, str)}
    texts.update({f"offline.{k}.{i}": v for k, frames in phrasing.items() if isinstance(frames, tuple | list)
                  for i, v in enumerate(frames)})
    texts.update({f"offline.gender_labels.{k}": v for k, v in language.offline.gender_labels.items()})
    return {**{f"strings.{k}": v for k, v in language.strings.items()}, **texts}


def problems(languages: dict[Lang, Language]) -> list[str]:
    """Everything that differs between the languages; empty when each has every text with the same placeholders."""
    found = [f"no language file for {code}" for code in LANGS if code not in languages]
    if not languages:
        return found
    reference_code, reference = next(iter(languages.items()))
    reference_texts = _texts(reference)
    for code, language in languages.items():
        if language.code != code:
            found.append(f"{code}.json says it is {language.code!r}")
        texts = _texts(language)
        for key in sorted(reference_texts.keys() - texts.keys()):
            found.append(f"{code} lacks {key!r}")
        for key in sorted(texts.keys() - reference_texts.keys()):
            found.append(f"{code} has {key!r}, which {reference_code} lacks")
        for key in sorted(texts.keys() & reference_texts.keys()):
            if key.startswith("strings.") and not texts[key].strip():
                found.append(f"{code} {key!r} is empty")
            if placeholders(texts[key]) != placeholders(reference_texts[key]):
                found.append(f"{code} {key!r} has placeholders {sorted(placeholders(texts[key]))}, "
                             f"{reference_code} has {sorted(placeholders(reference_texts[key]))}")
    return found


def read_language(code: str) -> Language:
    text = resources.files("bot").joinpath(f"data/locales/{code}.json").read_text(encoding="utf-8")
    return Language.model_validate(json.loads(text))


@cache
def languages() -> dict[Lang, Language]:
    """Every supported language by code, in `LANGS` order; checked once, on first use."""
    loaded = {code: read_language(code) for code in LANGS}
    found = problems(loaded)
    if found:
        raise ValueError("the language files disagree:\n" + "\n".join(found))
    return loaded


def language(code: str) -> Language:
    """The language `code` (a supported code; use `normalize_lang` for anything a user or Slack sends)."""
    return languages()[code]  # type: ignore[index]


def claimed_by(tag: str | None) -> Lang | None:
    """The language whose `slack_locales` claim a Slack locale or loose tag (`zh_TW`, `zh-Hant`), if any."""
    if not tag:
        return None
    tag = tag.replace("_", "-").lower()
    best: tuple[int, Lang | None] = (0, None)
    for code, lang in languages().items():
        for locale in lang.slack_locales:
            if (tag == locale or tag.startswith(locale + "-")) and len(locale) > best[0]:
                best = (len(locale), code)
    return best[1]


def normalize_lang(tag: str | None) -> Lang:
    """Map a Slack locale or loose tag (`zh-tw`, `zh-Hant`, `zh_CN`, `en-US`) onto a supported language."""
    return claimed_by(tag) or FALLBACK
