"""What the offline writer says about single apps and what it must never say about a segment.

- App descriptors (`bot/data/app_descriptors.json`): per catalog app, what people use it for, as a verb phrase
  in each language ("log runs and rides"); apps without their own line use their category's.
- Contradictions (`bot/data/contradictions.json`): statements that clash with a segment (fuel prices for EV
  owners). The offline writer leaves such phrases out and the card lint flags them in any writer's text.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.config import LANGS, Lang
from bot.lexicon import load_lexicon
from bot.models import SegmentInfo
from bot.text_keys import fold

Localized = dict[Lang, str]


class AppDescriptors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: dict[str, Localized]
    apps: dict[str, Localized]

    @model_validator(mode="after")
    def _complete(self) -> AppDescriptors:
        for key, texts in [*self.categories.items(), *self.apps.items()]:
            missing = [lang for lang in LANGS if not texts.get(lang, "").strip()]
            if missing:
                raise ValueError(f"descriptor {key!r} lacks {missing}")
        missing_categories = set(load_lexicon().categories) - set(self.categories)
        if missing_categories:
            raise ValueError(f"no descriptor for categories {sorted(missing_categories)}")
        return self

    def of(self, app_id: str | None, category: str | None, lang: Lang) -> str:
        """What people use the app for: its own line, else its category's, else the generic one."""
        if app_id and app_id in self.apps:
            return self.apps[app_id][lang]
        key = load_lexicon().resolve(category) or "generic"
        return self.categories[key][lang]

    def has_own(self, app_id: str) -> bool:
        return app_id in self.apps


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    segment: tuple[str, ...] = Field(min_length=1)
    avoid: dict[Lang, tuple[str, ...]]

    def applies_to(self, segment: SegmentInfo | None) -> bool:
        if segment is None:
            return False
        haystack = fold(" ".join([
            segment.id, segment.name, segment.name_zh_tw, segment.name_zh_cn, segment.description,
            segment.description_zh_tw, segment.description_zh_cn, *segment.aliases,
        ]))
        return any(fold(term) in haystack for term in self.segment)


class Contradictions(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    rules: tuple[Rule, ...]

    def avoided(self, segment: SegmentInfo | None, lang: Lang) -> list[str]:
        """The terms no statement about `segment` in `lang` may contain."""
        return [term for rule in self.rules if rule.applies_to(segment) for term in rule.avoid.get(lang, ())]

    def clashes(self, text: str, segment: SegmentInfo | None, lang: Lang) -> list[str]:
        folded = fold(text)
        return [term for term in self.avoided(segment, lang) if fold(term) in folded]


def _read(name: str) -> dict:
    return json.loads(resources.files("bot").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@cache
def load_descriptors() -> AppDescriptors:
    return AppDescriptors.model_validate(_read("app_descriptors.json"))


@cache
def load_contradictions() -> Contradictions:
    return Contradictions.model_validate(_read("contradictions.json"))
