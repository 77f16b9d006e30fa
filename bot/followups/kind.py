"""What a follow-up kind is: the data every part of the bot reads to offer, ask for and write one follow-up.

A kind is declared once, in its own module next to this one, and listed in `registry.KINDS`. The card's button
row, the one action listener, the flow, the product modal, the LLM prompt and the prompt-echo guard all read the
declaration; none of them names a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from string import Template
from typing import Literal

from bot.config import Lang
from bot.i18n import t
from bot.languages import language
from bot.localized import GLOBAL_MARKETS, market_name
from bot.models import CatalogApp, Grounding, PersonaResult, WriterRequest
from bot.prompting import data_json
from prompts import load_template

# Every kind has these strings in every language: the card button and the heading of its answer.
REQUIRED_STRINGS = ("button", "title")


class UnknownFollowUpKind(LookupError):
    """A follow-up kind that is not registered: a stale button, a modal from an older version, or a typo."""

    def __init__(self, kind_id: str):
        self.kind_id = kind_id
        super().__init__(f"no follow-up kind {kind_id!r} is registered")


@dataclass(frozen=True)
class FollowUpAsk:
    """One follow-up to write: the persona it follows, the product when the kind asks for one, and the catalog."""

    kind: FollowUpKind
    result: PersonaResult
    product: str | None = None
    # The warehouse catalog, read only by kinds that need it (and cached by the service).
    catalog: Callable[[], Sequence[CatalogApp]] = tuple

    @property
    def lang(self) -> Lang:
        return self.result.meta.lang

    @cached_property
    def request(self) -> WriterRequest:
        """The persona's grounding as the offline composers take it."""
        grounding = Grounding(segment=self.result.segment, apps=self.result.apps)
        return WriterRequest(grounding=grounding, demographics=self.result.demographics, lang=self.lang)

    @cached_property
    def persona_data(self) -> str:
        """The persona as delimited prompt data: what the card shows, never the instructions that wrote it."""
        result = self.result
        return data_json(
            {
                "segment": result.segment.name if result.segment else None,
                "market": (market_name(result.segment.market, self.lang)
                           if result.segment and result.segment.market else None),
                "apps": [{"name": a.name, "category": a.category, "score": a.score,
                          "index": round(a.index) if a.index is not None else None} for a in result.apps],
                "profile": result.profile.model_dump(),
                "hashtags": result.hashtags.model_dump(),
            }
        )

    @cached_property
    def baseline(self) -> str:
        """Whom an app's index compares this audience with, in the reader's words ("the average person in Taiwan",
        "台灣平均"): its market's people, or everyone for an audience without one."""
        market = self.result.segment.market if self.result.segment else None
        if market and market.casefold() not in GLOBAL_MARKETS:
            return t("index.baseline.market", self.lang, market=market_name(market, self.lang))
        return t("index.baseline.all", self.lang)

    def text(self, key: str, /, **values: object) -> str:
        return self.kind.text(key, self.lang, **values)


@dataclass(frozen=True)
class FollowUpKind:
    """A follow-up the card offers.

    `strings` holds the kind's strings per language (see `strings_in` for languages added later); every language
    has the same names and placeholders, among them `REQUIRED_STRINGS`. `prompt_fields` fills the placeholders of
    `template` (a file in `prompts/`); `compose_offline` writes the answer without an LLM, one point per line, the
    first line being the summary and lines starting with "→" the next actions. A kind that `asks_for_product` opens
    the product modal before it answers; with `product_optional` the modal may be left empty.
    """

    id: str
    template: str
    strings: Mapping[str, Mapping[str, str]]
    compose_offline: Callable[[FollowUpAsk], str]
    prompt_fields: Callable[[FollowUpAsk], Mapping[str, str]]
    asks_for_product: bool = False
    # The product modal may be submitted empty (the kind then writes for any client).
    product_optional: bool = False
    button_style: Literal["primary", "danger"] | None = None

    @property
    def action_id(self) -> str:
        # The id every card has carried since the first kinds; cards already posted in Slack keep working.
        return f"persona_{self.id}"

    @property
    def modal_callback_id(self) -> str:
        return f"{self.id}_modal"

    def strings_in(self, lang: str) -> dict[str, str]:
        """The kind's strings in `lang`: its own, and those the language's file carries for it.

        A language added after the kind brings the kind's strings in its own file (`followups.<id>` in
        `bot/data/locales/<lang>.json`), so adding a language never means editing every kind; see `bot.languages`.
        """
        return {**self.strings.get(lang, {}), **language(lang).followups.get(self.id, {})}

    def text(self, key: str, lang: str, /, **values: object) -> str:
        """The kind's string `key` in `lang`, formatted with `values`. A missing one raises KeyError."""
        return self.strings_in(lang)[key].format(**values)

    def prompt(self, ask: FollowUpAsk) -> str:
        # substitute() is a single pass: a `$name` inside user text is never expanded.
        return Template(load_template(self.template)).substitute(self.prompt_fields(ask))


def persona_only(ask: FollowUpAsk) -> dict[str, str]:
    """Prompt fields of a kind whose template needs only the persona (`$data`)."""
    return {"data": ask.persona_data}
