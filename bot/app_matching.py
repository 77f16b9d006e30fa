"""Match pasted app names to the catalog by name or alias.

Names are compared by `normalize_name`: NFKC (full-/half-width), casefold, and with whitespace, punctuation and
emoji removed, so "Booking.com", "booking com" and "ＢＯＯＫＩＮＧ.ＣＯＭ" are one key. Simplified and traditional
script match because the catalog lists both forms as name/alias; there is deliberately no conversion table here.

Common English names that a dataset may not list as aliases ("Little Red Book" for 小红书, "King of Glory" for
王者荣耀) are data in `bot/data/app_english_names.csv`: each row names a catalog app by any of its names or
aliases (`known_as`) and gives `|`-separated English names. They are added after every catalog name and alias, so
they never shadow one, and a row whose `known_as` fits two catalog apps adds nothing.

An exact key match wins. Failing that, a name written as "小红书App" / "Keep app" is tried without the suffix, and
then a fuzzy fallback catches typos such as "Instagarm". The fallback is kept strict because a wrong match is
worse than an unmatched app (which is kept and shown as such):
  * both the pasted key and the catalog key have at least `MIN_FUZZY_LENGTH` characters (short names such as
    "Keep" or "美团" are never fuzzy-matched);
  * at most one edit (insert, delete, substitute, transpose) for keys under 10 characters, two for longer ones,
    so "Meitu" never becomes "Meituan";
  * a Jaro-Winkler similarity of at least `FUZZY_THRESHOLD` (out of 100), which favours typos late in the word
    over a different first letter ("Keap" is not "Keep");
  * a unique best candidate: a tie between two apps matches neither.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from importlib import resources

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from bot.models import CatalogApp, ParsedApp

MIN_FUZZY_LENGTH = 4
FUZZY_THRESHOLD = 90.0
SUGGEST_CUTOFF = 60.0
# A "did you mean" next to an unknown app must be a near miss ("Instagarmmmx"), not any loose neighbour
# ("TotallyNewApp" is not Tmall).
DID_YOU_MEAN_CUTOFF = 75.0

_DROPPED_CATEGORIES = frozenset({"So", "Sk"})
_APP_SUFFIX = re.compile(r"(?P<base>.+?)(?:\s+|(?<=[^\x00-\x7f]))app", re.IGNORECASE)


def normalize_name(text: str) -> str:
    """The comparison key of an app name (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    key = "".join(
        char
        for char in folded
        if unicodedata.category(char)[0] not in "PZC" and unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    # A name made only of symbols still deserves a key of its own rather than none.
    return key or " ".join(folded.split())


@functools.cache
def english_names() -> dict[str, tuple[str, ...]]:
    """`bot/data/app_english_names.csv` as name key of a catalog name or alias -> its common English names."""
    text = resources.files("bot").joinpath("data/app_english_names.csv").read_text(encoding="utf-8")
    table: dict[str, tuple[str, ...]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        names = tuple(name.strip() for name in row["english_names"].split("|") if name.strip())
        table[normalize_name(row["known_as"])] = table.get(normalize_name(row["known_as"]), ()) + names
    return table


def _english_names(apps: list[CatalogApp]) -> list[tuple[str, CatalogApp]]:
    """(English name, app) for each catalog app the English names table knows, by any of its names or aliases."""
    owners: dict[str, dict[str, CatalogApp]] = {}
    for app in apps:
        for label in (app.name, *app.aliases):
            owners.setdefault(normalize_name(label), {})[app.app_id] = app
    table = english_names()
    found: list[tuple[str, CatalogApp]] = []
    for key, names in table.items():
        apps_known_as = owners.get(key, {})
        if len(apps_known_as) == 1:  # a label two apps share says nothing about which one is meant
            app = next(iter(apps_known_as.values()))
            found.extend((name, app) for name in names)
    return found


class AppMatcher:
    def __init__(self, catalog: Iterable[CatalogApp]):
        self._apps = list(catalog)
        self._exact: dict[str, CatalogApp] = {}
        # Names go in before aliases, and aliases before the English names table, so that nothing can shadow
        # another app's own name.
        names = [(app.name, app) for app in self._apps]
        aliases = [(alias, app) for app in self._apps for alias in app.aliases]
        keyed: list[tuple[str, CatalogApp]] = []
        for text, app in [*names, *aliases, *_english_names(self._apps)]:
            key = normalize_name(text)
            if key and key not in self._exact:
                self._exact[key] = app
                keyed.append((key, app))
        for app in self._apps:
            self._exact.setdefault(normalize_name(app.app_id), app)
        self._keys = [key for key, _ in keyed]
        self._key_apps = [app for _, app in keyed]
        long_keys = [(key, app) for key, app in keyed if len(key) >= MIN_FUZZY_LENGTH]
        self._fuzzy_keys = [key for key, _ in long_keys]
        self._fuzzy_apps = [app for _, app in long_keys]

    def match(self, name: str) -> CatalogApp | None:
        """The catalog app a pasted name means, or None when there is no confident match."""
        key = normalize_name(name)
        if not key:
            return None
        hit = self._exact.get(key)
        if hit is not None:
            return hit
        suffixed = _APP_SUFFIX.fullmatch(unicodedata.normalize("NFKC", name).strip())
        if suffixed is not None:
            hit = self._exact.get(normalize_name(suffixed["base"]))
            if hit is not None:
                return hit
        return self._fuzzy(key)

    def resolve(self, parsed: list[ParsedApp]) -> list[ParsedApp]:
        """Set `app_id` on each entry (None when unmatched). Names stay as given.

        When two entries resolve to the same app ("RED" and "小紅書"), they are merged into the first, higher-ranked
        one, which lists the other names in `merged_from` and keeps the higher of the scores given, so one app is
        never counted twice and the user can see why an entry disappeared. Unmatched entries are always kept.
        """
        resolved: list[ParsedApp] = []
        by_app: dict[str, int] = {}
        for entry in parsed:
            app = self.match(entry.name)
            if app is None:
                resolved.append(entry.model_copy(update={"app_id": None}))
                continue
            if app.app_id not in by_app:
                by_app[app.app_id] = len(resolved)
                resolved.append(entry.model_copy(update={"app_id": app.app_id}))
                continue
            kept = resolved[by_app[app.app_id]]
            scores = [score for score in (kept.score, entry.score) if score is not None]
            resolved[by_app[app.app_id]] = kept.model_copy(
                update={
                    "merged_from": [*kept.merged_from, entry.name, *entry.merged_from],
                    "score": max(scores) if scores else None,
                }
            )
        return resolved

    def suggest(self, name: str, limit: int = 3, cutoff: float = SUGGEST_CUTOFF) -> list[CatalogApp]:
        """Closest catalog apps for a "did you mean", best first; looser than `match`."""
        key = normalize_name(name)
        if not key or limit <= 0:
            return []
        found: list[CatalogApp] = []
        matched = self.match(name)
        if matched is not None:
            found.append(matched)
        candidates = process.extract(
            key, self._keys, scorer=fuzz.WRatio, limit=len(self._keys), score_cutoff=cutoff
        )
        for _, _, index in candidates:
            if len(found) >= limit:
                break
            app = self._key_apps[index]
            if all(app.app_id != other.app_id for other in found):
                found.append(app)
        return found

    def _fuzzy(self, key: str) -> CatalogApp | None:
        if len(key) < MIN_FUZZY_LENGTH or not self._fuzzy_keys:
            return None
        max_edits = 1 if len(key) < 10 else 2
        candidates = process.extract(
            key,
            self._fuzzy_keys,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=max_edits,
            limit=len(self._fuzzy_keys),
        )
        best: CatalogApp | None = None
        best_score = 0.0
        tied = False
        for candidate, _, index in candidates:
            score = JaroWinkler.normalized_similarity(key, candidate) * 100
            if score < FUZZY_THRESHOLD:
                continue
            app = self._fuzzy_apps[index]
            if score > best_score:
                best, best_score, tied = app, score, False
            elif score == best_score and best is not None and app.app_id != best.app_id:
                tied = True
        return None if tied else best
