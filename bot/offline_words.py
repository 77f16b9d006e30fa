"""What every offline text is built from: the audience's categories in ranked groups, their lexicon words, and
lists joined the way each language joins them.

The persona draft (`bot.offline_writer`) and each follow-up kind's offline composer (`bot.followups`) write their
sentences with these, so a follow-up names the same categories, in the same order, as the card it follows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.config import Lang
from bot.languages import Phrasing, language
from bot.lexicon import CategoryWords, Lexicon, load_lexicon
from bot.models import GroundingApp, WriterRequest
from bot.prompting import hashtag_zh_lang

# How many categories a text draws on: more than three makes the sentences read like a list of apps.
TOP_GROUPS = 3
CITED_APPS_PER_GROUP = 2
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


# ---------------------------------------------------------------------------------------------------------------
# Lists and names, as each language writes them


def join(items: Sequence[str], ph: Phrasing) -> str:
    """`a, b and c` in the language's own list style."""
    if len(items) <= 1:
        return "".join(items)
    return ph.list_sep.join(items[:-1]) + ph.and_word + items[-1]


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def inline(text: str, limit: int = 60) -> str:
    """User-given names as one short line: no control characters or line breaks that could forge extra bullets."""
    flat = " ".join(_CONTROL_RE.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------------------------
# Grouping apps by category


@dataclass
class Group:
    category: str
    weight: float
    first_index: int
    apps: list[GroundingApp] = field(default_factory=list)


def weight(app: GroundingApp) -> float:
    # Negative or NaN weights say nothing about the audience; they count as zero rather than subtracting.
    return app.weight if app.weight > 0 and math.isfinite(app.weight) else 0.0


def groups_of(
    apps: Sequence[GroundingApp], lexicon: Lexicon, weigh: Callable[[GroundingApp], float] = weight
) -> list[Group]:
    """Categories by summed app weight (then app count, then first appearance), heaviest first; `weigh` says what
    an app counts for (the persona draft counts how distinctive it is).

    Apps whose category the lexicon does not know form the fallback group, used only when no category is known.
    """
    known: dict[str, Group] = {}
    for index, app in enumerate(apps):
        key = lexicon.resolve(app.category)
        if key is None:
            continue
        group = known.setdefault(key, Group(key, 0.0, index))
        group.weight += weigh(app)
        group.apps.append(app)
    groups = list(known.values()) or [Group(lexicon.fallback, sum(map(weigh, apps)), 0, list(apps))]
    for group in groups:
        group.apps.sort(key=lambda app: -weigh(app))  # stable: input order breaks ties
    groups.sort(key=lambda g: (-g.weight, -len(g.apps), g.first_index))
    return groups


def cite(groups: Iterable[Group], per_group: int = CITED_APPS_PER_GROUP) -> list[str]:
    names: list[str] = []
    for group in groups:
        names.extend(app.name for app in group.apps[:per_group] if app.name)
    return list(dict.fromkeys(names))


def pick(lists: Sequence[Sequence[str]], quotas: Sequence[int], limit: int) -> tuple[list[str], list[int]]:
    """Items from several ranked lists: first each list's quota, then round-robin. Returns items and source lists."""
    chosen: list[str] = []
    sources: list[int] = []
    seen: set[str] = set()

    def take(which: int, item: str) -> None:
        if len(chosen) < limit and item.casefold() not in seen:
            seen.add(item.casefold())
            chosen.append(item)
            sources.append(which)

    cursors = [0] * len(lists)
    for which, items in enumerate(lists):
        quota = quotas[which] if which < len(quotas) else 0
        for item in items[:quota]:
            take(which, item)
        cursors[which] = min(quota, len(items))
    while len(chosen) < limit and any(cursors[i] < len(items) for i, items in enumerate(lists)):
        for which, items in enumerate(lists):
            if cursors[which] < len(items):
                take(which, items[cursors[which]])
                cursors[which] += 1
    return chosen, sorted(set(sources))


@dataclass(frozen=True)
class Context:
    """One request's top category groups and their words in the request language."""

    lang: Lang
    ph: Phrasing
    groups: list[Group]
    words: list[CategoryWords]
    # Hashtags come in both languages whatever the prose language; the zh ones in the script of the audience's
    # market (`hashtag_zh_lang`), as the LLM is asked to write them.
    zh_tag_words: list[CategoryWords]
    en_tag_words: list[CategoryWords]

    @classmethod
    def of(cls, request: WriterRequest, weigh: Callable[[GroundingApp], float] = weight) -> Context:
        lexicon = load_lexicon()
        lang = language(request.lang)
        groups = groups_of(request.grounding.apps, lexicon, weigh)[:TOP_GROUPS]
        return cls(
            lang=request.lang,
            ph=lang.offline,
            groups=groups,
            words=[lexicon.words(g.category, request.lang) for g in groups],
            zh_tag_words=[lexicon.words(g.category, hashtag_zh_lang(request)) for g in groups],
            en_tag_words=[lexicon.words(g.category, "en") for g in groups],
        )

    def labels(self, count: int = TOP_GROUPS) -> str:
        return join([w.label for w in self.words[:count]], self.ph)
