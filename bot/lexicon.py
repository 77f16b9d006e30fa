"""The category lexicon behind every offline text: category -> language -> phrases (`bot/data/lexicon.json`).

Validated on load, so a category that lacks a language or a hashtag with a space fails at start rather than in
the middle of a card.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.config import LANGS, Lang

HASHTAG_RE = re.compile(r"^#[^\s#]+$")


class CategoryWords(BaseModel):
    """The phrases for one category in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    people: str = Field(min_length=1)
    traits: tuple[str, ...] = Field(min_length=2, max_length=3)
    motivation: str = Field(min_length=1)
    worry: str = Field(min_length=1)
    interests: tuple[str, ...] = Field(min_length=2, max_length=3)
    lifestyle: str = Field(min_length=1)
    idea: str = Field(min_length=1)
    hashtags: tuple[str, ...] = Field(min_length=2, max_length=3)

    @field_validator("hashtags")
    @classmethod
    def _hashtags_are_single_tokens(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        bad = [tag for tag in tags if not HASHTAG_RE.match(tag)]
        if bad:
            raise ValueError(f"hashtags must be '#' plus text without spaces: {bad}")
        if len({tag.casefold() for tag in tags}) != len(tags):
            raise ValueError(f"duplicate hashtags: {tags}")
        return tags


class Lexicon(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    fallback: str
    categories: dict[str, dict[Lang, CategoryWords]]

    @model_validator(mode="after")
    def _complete(self) -> Lexicon:
        if self.fallback not in self.categories:
            raise ValueError(f"fallback category {self.fallback!r} is missing")
        for category, langs in self.categories.items():
            missing = [lang for lang in LANGS if lang not in langs]
            if missing:
                raise ValueError(f"category {category!r} lacks languages {missing}")
        return self

    def words(self, category: str, lang: Lang) -> CategoryWords:
        return self.categories[category][lang]

    def resolve(self, category: str | None) -> str | None:
        """The lexicon key for a category id as the data spells it, or None when the lexicon has no such category."""
        if category is None:
            return None
        key = re.sub(r"[\s\-]+", "_", category.strip().casefold())
        if key in self.categories and key != self.fallback:
            return key
        return None


@cache
def load_lexicon() -> Lexicon:
    text = resources.files("bot").joinpath("data/lexicon.json").read_text(encoding="utf-8")
    return Lexicon.model_validate(json.loads(text))
