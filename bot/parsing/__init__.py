"""Turn a pasted app list, in whatever shape salespeople paste it, into ranked `ParsedApp` entries.

The rules, each of which has a test in tests/unit/test_parsing.py:

Shape
  * Items are separated by newlines, tabs, commas (``,`` ``，``), enumeration commas (``、``), semicolons
    (``;`` ``；``), pipes (markdown tables) and `` / `` or `` · `` with spaces on both sides.
  * Control characters are dropped first (those Python counts as line breaks, e.g. form feed, separate lines),
    as are bidi overrides and lone surrogates: none belongs in an app name, and a name travels on to prompts,
    cards and exports.
  * Full-width ASCII forms and the ideographic space are folded to ASCII first (``ＫＥＥＰ　０．９`` reads as
    ``KEEP 0.9``): they are an input-method artefact, not part of an app's name.
  * Bullets (``- * • · ▪`` ...), numbering (``1.`` ``1)`` ``1、`` ``(1)`` ``[1]`` ``#1`` ``①`` ``1️⃣``), quotes,
    emoji and stray punctuation at the edges of a name are dropped. ``1.`` is numbering only when followed by a
    space, a non-ASCII character or a capital letter, so ``163.com`` stays a name.
  * Valid JSON (a list of names, of ``{"name", "score"}`` objects or of ``[name, score]`` pairs, or a
    ``{name: score}`` object) is read as such; anything JSON-ish that does not parse falls through to the text
    rules, which ignore the brackets and quotes.
  * A spreadsheet header (``App<TAB>Score``, ``應用<TAB>分數``, ``app,confidence``) is dropped; when it names its
    columns, rows with the same number of cells are read by column (so a category column is not taken for an app).
    ``key: value`` cells whose key is such a header word (``name: Keep``, ``score: 0.9``) are read the same way.
  * A line ending in ``:`` with nothing after it (``Top apps:``) is a title when more lines follow.
  * In a row of cells, a leading integer is a rank column and is dropped; a number cell right after a name is
    that name's score.

Scores
  * Unambiguous: a number in its own cell after the name, after ``:`` or ``=``, after a dash with whitespace on at
    least one side (``Keep - 0.92``, but not ``25-34``), in parentheses or brackets, followed by ``%`` or ``分``
    (``小红书 92分``), or a bare decimal up to 1 after whitespace (``Keep 0.9``).
  * Ambiguous: a bare trailing integer, or a decimal above 1, after whitespace (``Office 365``, ``FIFA 23``,
    ``Keep 92``). It is a score only when the paste consistently reads as "name score" pairs: at least two items
    and more than half of them end in a number. Otherwise it stays part of the name.
  * Scale: ``%`` always means percent (``92%`` -> 0.92, ``0.92%`` -> 0.0092). Unmarked values above 1 (up to 100)
    are percents (``92`` -> 0.92); unmarked decimals up to 1 are fractions (``0.92`` -> 0.92). The unmarked
    integers 0 and 1 are fractions, unless another unmarked value in the paste is above 1: then the paste is on a
    0–100 scale and ``1`` means 1%. A decimal above 1 (``92.5``) is a percent only on a 0–100 scale, i.e. when
    another unmarked score in the paste is above 1 (``Keep 92.5, Strava 80``); see "Out of range".
  * A hyphen that touches the digits after a space (``Keep -3``) is a minus sign, unless the paste separates names
    from scores with a spaced dash elsewhere (``Keep - 0.92``): then ``Strava -0.5`` is that dash written tightly.
  * No score means ``None``: rank order decides, see `rank_weights`.

Out of range
  A number that stands where a score goes but that no reading places in 0–1 is never clamped or guessed: it stays
  part of the name (as before) and is listed in `ParseOutcome.out_of_range`, and the service refuses the paste
  with a message naming each one. Out of range are:
  * negative values: ``Keep -3`` (see the hyphen rule), ``Keep: -0.5``, ``Keep (-3%)``, a ``-3`` cell after a
    name, a negative value in a score column, JSON or ``score: -1``;
  * values above 100, or above 100%, where the number can only be a score: after ``:`` ``=`` or a dash, in
    brackets, marked with ``%`` or ``分``, in a score column or JSON, or a decimal or percent cell after a name
    (``Keep: 150``, ``Keep 150%``, ``Keep (120)``). A bare trailing integer above 100 is a name (``Office 365``),
    as is a bare integer cell (``12306``);
  * an unmarked decimal above 1 in a paste with no other unmarked score above 1: ``小红书 1.5, Keep 0.85`` (its
    scores are fractions, so 1.5 is not 1.5%), ``Keep: 1.5`` alone. Integers above 1 stay percents (``Keep 92``).
  * ``小红书 1.5`` alone, where the trailing decimal could be part of the name, is flagged as uncertain: it is
    refused only when the name without the number is a catalog app and the whole text is not (so ``YouBike 2.0``
    still matches YouBike).

Duplicates (same name ignoring case and character width) keep their first, highest-ranked occurrence. Two
different names for one app ("RED", "小紅書") are merged later, by the catalog match (`AppMatcher.resolve`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import ParsedApp
from bot.parsing.cells import Item, text_items
from bot.parsing.json_paste import json_items
from bot.text_keys import fold

# Rank decay for apps without a score: weight = base * rank ** -RANK_DECAY_EXPONENT, so rank 1 keeps the base,
# rank 4 gets half of it. Gentle on purpose: a pasted top-10 is rarely steeper than that.
RANK_DECAY_EXPONENT = 0.5
# Pooling divides by weights, so none may be zero even when a paste says "0%".
MIN_WEIGHT = 1e-3

_WIDTH_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Controls that str.splitlines() treats as line ends keep that meaning; tab, newline and CR are separators.
_CONTROL_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class OutOfRange:
    """A number that stands where a score goes but is no score (see "Out of range" in the module docstring)."""

    # The item as pasted ("小红书 1.5", "Keep -3") and the number as typed ("1.5", "-3").
    text: str
    value: str
    # The name without the number. When `certain` is False (a trailing decimal in a paste that is not read as
    # "name score" pairs, e.g. "小红书 1.5" alone) the number is a score only if `name` is a catalog app and
    # `text` is not ("YouBike 2.0" is a name): the caller, which knows the catalog, decides.
    name: str
    certain: bool = True


@dataclass(frozen=True)
class ParseOutcome:
    apps: list[ParsedApp]
    # True when max_apps cut the list; the card tells the user.
    truncated: bool = False
    # Scores no reading can place in 0–1, in paste order; the service refuses the paste when there are any.
    out_of_range: tuple[OutOfRange, ...] = ()


def parse_app_list(text: str, *, max_apps: int | None = None) -> ParseOutcome:
    """Parse a pasted list; see the module docstring for the rules. App ids are left unset."""
    folded = _CONTROLS.sub("", _CONTROL_BREAKS.sub("\n", text)).translate(_WIDTH_FOLD)
    items = json_items(folded)
    if items is None:
        items = text_items(folded)
    out_of_range = _out_of_range(items)
    apps = _finalize(items)
    truncated = max_apps is not None and len(apps) > max_apps
    if max_apps is not None:
        apps = apps[: max(max_apps, 0)]
    return ParseOutcome(apps=apps, truncated=truncated, out_of_range=tuple(out_of_range))


def looks_like_app_list(text: str) -> bool:
    """Whether text is a pasted app list rather than a segment name: two or more items, or any score."""
    outcome = parse_app_list(text)
    apps = outcome.apps
    return len(apps) >= 2 or any(app.score is not None for app in apps) or bool(outcome.out_of_range)


def rank_weights(apps: list[ParsedApp]) -> list[float]:
    """Pooling weights in (0, 1], one per app, in order.

    A given score is its own weight. Without any score the weights decay with rank as ``rank ** -0.5``, which
    already puts the top app at 1.0. When only some apps have a score, the others get the lowest given score
    times that same decay of their rank, so an unscored app never outweighs a scored one.
    """
    given = [app.score for app in apps if app.score is not None]
    base = min(given) if given else 1.0
    weights = []
    for rank, app in enumerate(apps, start=1):
        weight = app.score if app.score is not None else base * rank**-RANK_DECAY_EXPONENT
        weights.append(min(1.0, max(MIN_WEIGHT, weight)))
    return weights


# --- the whole paste -------------------------------------------------------------------------------------------


def _out_of_range(items: list[Item]) -> list[OutOfRange]:
    """Flag the scores no reading places in 0–1, and turn them back into plain names as other non-scores are.

    Runs before `_finalize`, which then finds these items already unscored.
    """
    # "Strava -0.5" after "Keep - 0.92" is the same dash written tightly; with no spaced dash it is a minus sign.
    dashes_separate = any(item.dash == "spaced" for item in items)
    for item in items:
        if item.dash == "tight" and not dashes_separate and item.value is not None:
            item.out_of_range = f"-{item.value:g}{'%' if item.percent else ''}"
            item.name, item.value, item.kind = item.full, None, "none"
    numbered = sum(1 for item in items if item.kind != "none" or item.out_of_range is not None)
    pairs_consistent = len(items) >= 2 and numbered * 2 > len(items)
    unmarked_above_one = [
        item for item in items if item.kind != "none" and item.value is not None and item.value > 1 and not item.percent
    ]
    found: list[OutOfRange] = []
    for item in items:
        if item.out_of_range is not None:
            found.append(OutOfRange(text=item.full, value=item.out_of_range, name=item.full))
            continue
        value = item.value
        if item.kind == "none" or value is None or item.percent or item.integer or value <= 1:
            continue
        # A decimal above 1 is a percent only on a 0–100 scale, i.e. when another unmarked score is above 1.
        if any(other is not item for other in unmarked_above_one):
            continue
        certain = item.kind == "explicit" or pairs_consistent
        found.append(OutOfRange(text=item.full, value=f"{value:g}", name=item.name, certain=certain))
        item.name, item.value, item.kind = item.full, None, "none"
    return found


def _finalize(items: list[Item]) -> list[ParsedApp]:
    numbered = sum(1 for item in items if item.kind != "none")
    pairs_consistent = len(items) >= 2 and numbered * 2 > len(items)
    for item in items:
        if item.kind == "ambiguous" and not pairs_consistent:
            item.name, item.value, item.kind = item.full, None, "none"
    percent_scale = any(
        item.value is not None and item.value > 1 and not item.percent for item in items if item.kind != "none"
    )
    apps: list[ParsedApp] = []
    seen: set[str] = set()
    for item in items:
        key = fold(item.name)
        if not key or key in seen:
            continue
        seen.add(key)
        apps.append(ParsedApp(name=item.name, score=_scale(item, percent_scale)))
    return apps


def _scale(item: Item, percent_scale: bool) -> float | None:
    if item.kind == "none" or item.value is None:
        return None
    value = item.value
    if item.percent or value > 1 or (item.integer and percent_scale):
        value /= 100
    return round(value, 10)
