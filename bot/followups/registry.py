"""Every follow-up kind the bot offers, in the order the card shows their buttons.

Adding a kind: write its module next to this one (see `partnership.py`), add its prompt template to `prompts/`
and list its `KIND` below. Nothing else names a kind: the card, the listener, the flows, the product modal and the
prompt-echo guard read this list. The list is checked when it is imported, so an incomplete kind stops the bot at
start instead of failing on a user's click.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.config import LANGS
from bot.followups import competitor, partnership
from bot.followups.kind import REQUIRED_STRINGS, FollowUpKind, UnknownFollowUpKind
from bot.languages import language, placeholders
from prompts import load_template

KINDS: tuple[FollowUpKind, ...] = (
    partnership.KIND,
    competitor.KIND,
)

# Ids the card's other buttons and modals already use as `persona_<id>` or `<id>_modal`.
_RESERVED_IDS = frozenset({"open_modal", "share", "regenerate", "retry", "feedback", "export", "pick", "persona"})
_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def problems(kinds: Iterable[FollowUpKind]) -> list[str]:
    """Everything wrong with `kinds` as the whole registry; empty when every kind is complete in every language
    and the language files carry strings only for these kinds."""
    found: list[str] = []
    seen: set[str] = set()
    for kind in kinds:
        where = f"follow-up kind {kind.id!r}"
        if not _ID.match(kind.id) or kind.id.split("_")[0] in _RESERVED_IDS:
            found.append(f"{where}: the id must be lower_snake_case and not one of {sorted(_RESERVED_IDS)}")
        if kind.id in seen:
            found.append(f"{where}: registered twice")
        seen.add(kind.id)
        try:
            load_template(kind.template)
        except FileNotFoundError as exc:
            found.append(f"{where}: {exc}")
        if not callable(kind.compose_offline) or not callable(kind.prompt_fields):
            found.append(f"{where}: needs an offline composer and prompt fields")
        reference = kind.strings_in(LANGS[0])
        for name in REQUIRED_STRINGS:
            if name not in reference:
                found.append(f"{where}: no {name!r} string in {LANGS[0]}")
        for lang in LANGS:
            clash = kind.strings.get(lang, {}).keys() & language(lang).followups.get(kind.id, {}).keys()
            if clash:
                found.append(f"{where}: {sorted(clash)} defined both in its module and in {lang}.json")
            strings = kind.strings_in(lang)
            if strings.keys() != reference.keys():
                found.append(f"{where}: {lang} strings differ from {LANGS[0]}: "
                             f"{sorted(strings.keys() ^ reference.keys())}")
            for name in strings.keys() & reference.keys():
                if not strings[name].strip():
                    found.append(f"{where}: {name!r} is empty in {lang}")
                if placeholders(strings[name]) != placeholders(reference[name]):
                    found.append(f"{where}: {name!r} in {lang} has other placeholders than in {LANGS[0]}")
    for lang in LANGS:
        for kind_id in language(lang).followups.keys() - seen:
            found.append(f"{lang}.json carries strings for {kind_id!r}, which is not a registered follow-up kind")
    return found


def _checked(kinds: tuple[FollowUpKind, ...]) -> dict[str, FollowUpKind]:
    found = problems(kinds)
    if found:
        raise ValueError("incomplete follow-up kinds:\n" + "\n".join(found))
    return {kind.id: kind for kind in kinds}


_BY_ID = _checked(KINDS)


def kinds() -> tuple[FollowUpKind, ...]:
    return KINDS


def get_kind(kind_id: str) -> FollowUpKind:
    """The registered kind `kind_id`; raises `UnknownFollowUpKind` for any other id."""
    try:
        return _BY_ID[kind_id]
    except KeyError:
        raise UnknownFollowUpKind(kind_id) from None


def action_pattern() -> re.Pattern[str]:
    """The action ids of every kind's card button; group 1 is the kind id."""
    return re.compile(r"^persona_(" + "|".join(re.escape(k.id) for k in KINDS) + r")$")


def product_modal_pattern() -> re.Pattern[str]:
    """The callback ids of the product modal of every kind that asks for a product; group 1 is the kind id."""
    ids = [re.escape(k.id) for k in KINDS if k.asks_for_product]
    # A pattern that matches nothing when no kind asks for a product.
    return re.compile(r"^(" + "|".join(ids) + r")_modal$" if ids else r"(?!)")
