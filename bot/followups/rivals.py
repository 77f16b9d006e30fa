"""Who a product competes with for one audience: the product placed in the catalog, and its rivals ranked by this
audience's affinity. Pure data; the competitor kind (`competitor.py`) turns it into words.

Rivals are catalog apps of the product's category that are used in the audience's market (or everywhere). Apps the
audience already lists come first, by their index (how much more often than the average person in the market they
use it), then by their confidence; the rest of the market follows by reach, so a Taipei delivery audience is shown
Uber Eats before anything else, and never a mainland-only app.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.app_matching import AppMatcher
from bot.config import LANGS
from bot.lexicon import load_lexicon
from bot.localized import GLOBAL_MARKETS
from bot.models import CatalogApp, GroundingApp, PersonaResult

MAX_RIVALS = 6

# How the product was placed: it is a catalog app; its category was read from its description; or, knowing
# neither, it is assumed to compete in the audience's strongest category.
PlacedBy = Literal["catalog", "category", "audience"]


@dataclass(frozen=True)
class Placement:
    product: str
    category: str | None
    placed_by: PlacedBy
    app: CatalogApp | None = None


@dataclass(frozen=True)
class Rival:
    app: CatalogApp
    # The audience's own entry for the app, with its figures; None when the audience does not list it.
    listed: GroundingApp | None = None
    # Its rank in the audience's list (1 = strongest), when listed.
    rank: int | None = None


def used_in(app: CatalogApp, market: str | None) -> bool:
    """Whether `app` is used in `market`; every app counts for an audience without a market, and an app
    without markets counts everywhere (a v1 dataset)."""
    if market is None or not app.market:
        return True
    markets = {m.casefold() for m in app.market}
    return market.casefold() in markets or bool(markets & GLOBAL_MARKETS)


def audience_market(result: PersonaResult, catalog: Sequence[CatalogApp]) -> str | None:
    """The segment's market; for a pasted list, the one market most of its catalog apps share (None if none)."""
    if result.segment is not None:
        return result.segment.market or None
    by_id = {app.app_id: app for app in catalog}
    counts: Counter[str] = Counter()
    for listed in result.apps:
        app = by_id.get(listed.app_id or "")
        for market in app.market if app else ():
            if market.casefold() not in GLOBAL_MARKETS:
                counts[market] += 1
    top = counts.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return {w for w in re.split(r"[\W_]+", folded) if len(w) > 2}


def category_named_in(text: str) -> str | None:
    """The catalog category a product description names ("a delivery app", "外送平台"), or None.

    Read from the category keys and their labels in every language, so a product outside the catalog can still
    be compared with the right apps."""
    lexicon = load_lexicon()
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = _words(text)
    best: tuple[int, str] | None = None
    for key in lexicon.categories:
        if key == lexicon.fallback:
            continue
        labels = [lexicon.words(key, lang).label for lang in LANGS]
        score = len(words & _words(key.replace("_", " ")))
        score += sum(2 for label in labels if len(label) >= 2 and label.casefold() in folded)
        if score and (best is None or score > best[0]):
            best = (score, key)
    return best[1] if best else None


def place_product(product: str, result: PersonaResult, catalog: Sequence[CatalogApp]) -> Placement:
    """The product as a catalog app (by name or alias), else by the category its description names, else in the
    audience's strongest category."""
    app = AppMatcher(catalog).match(product) if product.strip() else None
    if app is not None:
        return Placement(product, app.category, "catalog", app)
    named = category_named_in(product)
    if named is not None:
        return Placement(product, named, "category")
    weights: Counter[str] = Counter()
    for listed in result.apps:
        if listed.category:
            weights[listed.category] += listed.score or listed.weight or 0.0
    strongest = weights.most_common(1)
    return Placement(product, strongest[0][0] if strongest else None, "audience")


def _affinity(listed: GroundingApp) -> tuple[float, float]:
    # An unknown index ranks below every known one; confidence breaks ties.
    return (listed.index if listed.index is not None else -1.0, listed.score or listed.weight or 0.0)


def rivals(placement: Placement, result: PersonaResult, catalog: Sequence[CatalogApp], *,
           market: str | None, limit: int = MAX_RIVALS) -> list[Rival]:
    """The product's rivals for this audience, listed ones first (by index, then confidence), then the market's."""
    if placement.category is None:
        return []
    own = placement.app.app_id if placement.app else None
    rank_of = {app.app_id: rank for rank, app in enumerate(result.apps, start=1) if app.app_id}
    listed_by_id = {app.app_id: app for app in result.apps if app.app_id}
    same = [app for app in catalog
            if app.category == placement.category and app.app_id != own and used_in(app, market)]
    on_list = [Rival(app, listed_by_id[app.app_id], rank_of[app.app_id]) for app in same if app.app_id in listed_by_id]
    on_list.sort(key=lambda r: _affinity(listed_by_id[r.app.app_id]), reverse=True)
    off_list = [Rival(app) for app in same if app.app_id not in listed_by_id]
    off_list.sort(key=lambda r: -(r.app.reach or 0.0))
    return (on_list + off_list)[:limit]


def listed_entry(placement: Placement, result: PersonaResult) -> tuple[GroundingApp, int] | None:
    """The product's own entry in the audience's list and its rank, when the audience uses it."""
    if placement.app is None:
        return None
    for rank, listed in enumerate(result.apps, start=1):
        if listed.app_id == placement.app.app_id:
            return listed, rank
    return None
