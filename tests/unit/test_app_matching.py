from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app_matching import AppMatcher, english_names, normalize_name
from bot.dataset import Dataset
from bot.models import CatalogApp, ParsedApp
from bot.parsing import parse_app_list

CATALOG = [
    CatalogApp(app_id="xhs", name="小红书", category="social", aliases=["Xiaohongshu", "RED", "小紅書"]),
    CatalogApp(app_id="keep", name="Keep", category="fitness"),
    CatalogApp(app_id="meituan", name="美团", category="food", aliases=["Meituan", "美團"]),
    CatalogApp(app_id="meitu", name="Meitu", category="photo", aliases=["美图秀秀", "美圖秀秀"]),
    CatalogApp(app_id="booking", name="Booking.com", category="travel"),
    CatalogApp(app_id="instagram", name="Instagram", category="social"),
    CatalogApp(app_id="strava", name="Strava", category="fitness"),
    CatalogApp(app_id="disneyplus", name="Disney+", category="video"),
    CatalogApp(app_id="disney", name="Disney", category="entertainment"),
]


@pytest.fixture(scope="module")
def matcher() -> AppMatcher:
    return AppMatcher(CATALOG)


@pytest.mark.parametrize(
    ("pasted", "app_id"),
    [
        ("小红书", "xhs"),
        ("小紅書", "xhs"),  # traditional script, listed as an alias
        ("xiaohongshu", "xhs"),
        ("red", "xhs"),
        ("ＲＥＤ", "xhs"),  # full width
        ("KEEP", "keep"),
        ("ｋｅｅｐ", "keep"),
        ("  Keep  ", "keep"),
        ("美團", "meituan"),
        ("MEITUAN", "meituan"),
        ("Mei tuan", "meituan"),
        ("美圖秀秀", "meitu"),
        ("booking.com", "booking"),
        ("Booking com", "booking"),
        ("ＢＯＯＫＩＮＧ．ＣＯＭ", "booking"),
        ("Instagram", "instagram"),
        ("Disney+", "disneyplus"),  # symbols that tell apps apart are kept
        ("disney", "disney"),
        ("小红书App", "xhs"),
        ("Keep app", "keep"),
        ("keep", "keep"),
    ],
)
def test_exact_matches(matcher: AppMatcher, pasted: str, app_id: str) -> None:
    app = matcher.match(pasted)
    assert app is not None
    assert app.app_id == app_id


@pytest.mark.parametrize(
    ("pasted", "app_id"),
    [
        ("Instagarm", "instagram"),  # transposition
        ("Instagam", "instagram"),  # deletion
        ("Stravaa", "strava"),  # insertion
        ("Xiaohongsu", "xhs"),  # a typo in an alias
        ("Booking.cm", "booking"),
    ],
)
def test_fuzzy_catches_typos(matcher: AppMatcher, pasted: str, app_id: str) -> None:
    app = matcher.match(pasted)
    assert app is not None
    assert app.app_id == app_id


@pytest.mark.parametrize(
    "pasted",
    [
        "Keap",  # short names are never fuzzy-matched
        "Kep",
        "REDD",  # three-letter alias stays exact-only
        "美团外卖",  # not the same app as 美团
        "Meituan Waimai",
        "Meituann Waimai",
        "Keeper",
        "Instagram Lite",
        "Snapchat",
        "Tinstagram Reels",
        "",
        "   ",
        "!!!",
    ],
)
def test_no_match_rather_than_a_wrong_one(matcher: AppMatcher, pasted: str) -> None:
    assert matcher.match(pasted) is None


def test_meitu_and_meituan_stay_apart(matcher: AppMatcher) -> None:
    meitu = matcher.match("Meitu")
    meituan = matcher.match("Meituan")
    assert meitu is not None and meitu.app_id == "meitu"
    assert meituan is not None and meituan.app_id == "meituan"
    # One edit away from "meitu" but two from "meituan": the fuzzy step must not jump to the longer name.
    fuzzy = matcher.match("Meitus")
    assert fuzzy is not None and fuzzy.app_id == "meitu"


def test_a_name_beats_another_apps_alias() -> None:
    catalog = [
        CatalogApp(app_id="a", name="Alpha", category="x", aliases=["Beta"]),
        CatalogApp(app_id="b", name="Beta", category="x"),
    ]
    app = AppMatcher(catalog).match("beta")
    assert app is not None and app.app_id == "b"


def test_tie_between_two_apps_matches_neither() -> None:
    catalog = [
        CatalogApp(app_id="a", name="Fooba", category="x"),
        CatalogApp(app_id="b", name="Foobc", category="x"),
    ]
    matcher = AppMatcher(catalog)
    assert matcher.match("Foobx") is None
    fooba = matcher.match("fooba")
    assert fooba is not None and fooba.app_id == "a"


def test_app_id_matches_exactly(matcher: AppMatcher) -> None:
    app = matcher.match("xhs")
    assert app is not None and app.app_id == "xhs"


def test_resolve_sets_ids_and_keeps_unknown_apps(matcher: AppMatcher) -> None:
    parsed = parse_app_list("1. 小紅書 (92%)\n2. Instagarm 80%\n3. SomeNewApp\n4. ｋｅｅｐ").apps
    resolved = matcher.resolve(parsed)
    assert [(a.name, a.score, a.app_id) for a in resolved] == [
        ("小紅書", 0.92, "xhs"),
        ("Instagarm", 0.8, "instagram"),
        ("SomeNewApp", None, None),
        ("keep", None, "keep"),
    ]
    # The input is not modified in place.
    assert all(a.app_id is None for a in parsed)


def test_resolve_keeps_the_first_of_two_names_for_one_app(matcher: AppMatcher) -> None:
    parsed = [
        ParsedApp(name="RED", score=0.9),
        ParsedApp(name="Unknown One"),
        ParsedApp(name="小红书", score=0.5),
        ParsedApp(name="Unknown Two"),
    ]
    resolved = matcher.resolve(parsed)
    assert [(a.name, a.app_id) for a in resolved] == [
        ("RED", "xhs"),
        ("Unknown One", None),
        ("Unknown Two", None),
    ]


def test_resolve_merges_two_names_for_one_app_visibly(matcher: AppMatcher) -> None:
    parsed = parse_app_list("RED 0.5, Keep 0.8, 小紅書 0.9, Little Red Book").apps
    resolved = matcher.resolve(parsed)
    assert [(a.name, a.app_id, a.score, a.merged_from) for a in resolved] == [
        # The first name stays, the others are listed, and the app keeps the highest score it was given.
        ("RED", "xhs", 0.9, ["小紅書", "Little Red Book"]),
        ("Keep", "keep", 0.8, []),
    ]


def test_resolve_clears_a_stale_app_id(matcher: AppMatcher) -> None:
    resolved = matcher.resolve([ParsedApp(name="Nothing Like It", app_id="keep")])
    assert resolved[0].app_id is None


def test_suggest_offers_close_apps(matcher: AppMatcher) -> None:
    suggestions = matcher.suggest("Instagr")
    assert suggestions and suggestions[0].app_id == "instagram"
    assert len(suggestions) <= 3
    assert len({app.app_id for app in suggestions}) == len(suggestions)


def test_suggest_puts_the_match_first_and_respects_limit(matcher: AppMatcher) -> None:
    suggestions = matcher.suggest("Meitu", limit=2)
    assert [app.app_id for app in suggestions][:1] == ["meitu"]
    assert len(suggestions) <= 2
    assert matcher.suggest("Meitu", limit=0) == []


def test_suggest_finds_nothing_for_gibberish(matcher: AppMatcher) -> None:
    assert matcher.suggest("zzqxjv") == []
    assert matcher.suggest("") == []


def test_empty_catalog() -> None:
    matcher = AppMatcher([])
    assert matcher.match("Keep") is None
    assert matcher.suggest("Keep") == []
    assert matcher.resolve([ParsedApp(name="Keep")]) == [ParsedApp(name="Keep")]


@pytest.mark.parametrize(
    ("left", "right"),
    [("Booking.com", "booking com"), ("ＫＥＥＰ", "keep"), ("Mei-tuan", "MEITUAN"), ("小红书 📕", "小红书")],
)
def test_normalize_name_equal(left: str, right: str) -> None:
    assert normalize_name(left) == normalize_name(right)


@pytest.mark.parametrize(("left", "right"), [("Disney+", "Disney"), ("小红书", "小紅書"), ("Meitu", "Meituan")])
def test_normalize_name_distinct(left: str, right: str) -> None:
    assert normalize_name(left) != normalize_name(right)


@settings(max_examples=150)
@given(st.text(max_size=40))
def test_match_and_suggest_never_crash(matcher: AppMatcher, text: str) -> None:
    app = matcher.match(text)
    assert app is None or app in CATALOG
    assert all(found in CATALOG for found in matcher.suggest(text))


@settings(max_examples=100)
@given(st.sampled_from(CATALOG), st.sampled_from([str.upper, str.lower, str.title, lambda s: f"  {s} "]))
def test_every_catalog_name_and_alias_matches_itself(app: CatalogApp, variant: Callable[[str], str]) -> None:
    matcher = AppMatcher(CATALOG)
    for text in [app.name, *app.aliases]:
        found = matcher.match(variant(text))
        assert found is not None and found.app_id == app.app_id


# --- common English names (bot/data/app_english_names.csv) -----------------------------------------------------


def test_common_english_names_match(matcher: AppMatcher) -> None:
    assert "little red book" not in {normalize_name(n) for app in CATALOG for n in (app.name, *app.aliases)}
    for name in ("Little Red Book", "little red book", "LITTLE RED BOOK app", "Meitu Xiuxiu"):
        app = matcher.match(name)
        assert app is not None, name
    assert matcher.match("Little Red Book").app_id == "xhs"
    # Found through any catalog spelling: the table says 美图秀秀, which this catalog lists as an alias.
    assert matcher.match("Meitu Xiuxiu").app_id == "meitu"


def test_english_names_never_shadow_a_catalog_name() -> None:
    own = CatalogApp(app_id="lrb", name="Little Red Book", category="reading")
    matcher = AppMatcher([*CATALOG, own])
    assert matcher.match("Little Red Book").app_id == "lrb"


def test_an_english_name_for_a_shared_label_adds_nothing() -> None:
    # Two catalog apps both known as 小红书: the table cannot say which "Little Red Book" means.
    twin = CatalogApp(app_id="xhs_lite", name="XHS Lite", category="social", aliases=["小红书"])
    matcher = AppMatcher([*CATALOG, twin])
    assert matcher.match("Little Red Book") is None


def test_every_english_name_matches_its_sample_app(sample_dataset: Dataset) -> None:
    catalog = sample_dataset.apps
    matcher = AppMatcher(catalog)
    by_label = {normalize_name(n): app.app_id for app in catalog for n in (app.name, *app.aliases)}
    for key, names in english_names().items():
        assert key in by_label, f"{key} names no sample app"
        for name in names:
            found = matcher.match(name)
            assert found is not None and found.app_id == by_label[key], name
