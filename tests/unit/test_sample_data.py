"""The shipped sample dataset: its contract, its realism checks and its reproducibility from the generator."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from decimal import Decimal
from functools import cache

import pytest

from tests.support.paths import REPO_ROOT

SAMPLE_DIR = REPO_ROOT / "bot" / "data" / "sample"

CATEGORIES = {
    "social", "messaging", "short_video", "video_streaming", "music", "ecommerce", "food_delivery", "restaurants",
    "ride_hailing",
    "travel", "maps_navigation", "fitness", "health_medical", "payments", "investing", "news", "reading",
    "education", "mobile_games", "casual_games", "photo_video", "beauty", "parenting", "pets", "productivity",
    "dating", "home_living", "automotive", "jobs", "local_reviews", "sports", "anime_comics", "kids",
}  # fmt: skip
AGE_BUCKETS = ["18-24", "25-34", "35-44", "45-54", "55+"]
GENDER_BUCKETS = ["female", "male"]
HEADERS = {
    "apps.csv": ["app_id", "name", "category", "aliases", "reach", "market"],
    "app_audience.csv": ["app_id", "dimension", "bucket", "share"],
    "app_reach.csv": ["app_id", "market", "reach"],
    "population.csv": ["dimension", "bucket", "share"],
    "segments.csv": ["segment_id", "name", "description", "size", "aliases", "market", "name_zh_tw", "name_zh_cn",
                     "description_zh_tw", "description_zh_cn"],
    "segment_apps.csv": ["segment_id", "app_id", "confidence", "penetration"],
    "segment_audience.csv": ["segment_id", "dimension", "bucket", "share", "n"],
    "categories.csv": ["category", "label_en", "label_zh_tw", "label_zh_cn"],
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def rows(file: str) -> tuple[dict[str, str], ...]:
    with (SAMPLE_DIR / file).open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def aliases(raw: str) -> list[str]:
    return [a for a in raw.split("|") if a]


def key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def apps_by_id() -> dict[str, dict[str, str]]:
    return {r["app_id"]: r for r in rows("apps.csv")}


def audience() -> dict[str, dict[str, dict[str, Decimal]]]:
    out: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows("app_audience.csv"):
        out[r["app_id"]][r["dimension"]][r["bucket"]] = Decimal(r["share"])
    return out


def memberships() -> dict[str, list[tuple[str, Decimal]]]:
    out: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for r in rows("segment_apps.csv"):
        out[r["segment_id"]].append((r["app_id"], Decimal(r["confidence"])))
    return out


@pytest.mark.parametrize("file", sorted(HEADERS))
def test_headers(file: str) -> None:
    with (SAMPLE_DIR / file).open(encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == HEADERS[file]


def test_catalog_size_and_categories() -> None:
    apps = rows("apps.csv")
    assert len(apps) >= 300
    per_category = Counter(a["category"] for a in apps)
    assert set(per_category) == CATEGORIES
    assert min(per_category.values()) >= 3


def test_app_ids_are_unique_slugs() -> None:
    ids = [a["app_id"] for a in rows("apps.csv")]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_]*", i) for i in ids)


def test_names_and_aliases_identify_exactly_one_app() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for app in rows("apps.csv"):
        assert app["name"].strip() == app["name"] != ""
        for label in (app["name"], *aliases(app["aliases"])):
            assert label.strip() == label, label
            k = key(label)
            if k in owner:
                clashes.append((label, owner[k], app["app_id"]))
            owner[k] = app["app_id"]
    assert clashes == []


@pytest.mark.parametrize(
    ("app_id", "name", "expected_aliases"),
    [
        ("xiaohongshu", "小红书", {"Xiaohongshu", "RED", "小紅書", "XHS"}),
        ("meituan", "美团", {"Meituan", "美團"}),
        ("shopee", "蝦皮購物", {"Shopee", "虾皮购物"}),
        ("line", "LINE", set()),
        ("keep", "Keep", set()),
        ("douyin", "抖音", {"Douyin"}),
        ("tiktok", "TikTok", set()),
        ("jkopay", "街口支付", {"JKOPAY"}),
        ("netease_music", "网易云音乐", {"網易雲音樂"}),
        ("ctrip", "携程旅行", {"攜程旅行", "Ctrip"}),
        ("babytree", "宝宝树孕育", {"宝宝树", "寶寶樹"}),
        ("thsr", "台灣高鐵 T Express", {"T Express"}),
    ],
)
def test_well_known_apps_use_their_home_market_names(app_id: str, name: str, expected_aliases: set[str]) -> None:
    app = apps_by_id()[app_id]
    assert app["name"] == name
    assert expected_aliases <= set(aliases(app["aliases"]))


def test_reach_is_plausible_and_sometimes_unknown() -> None:
    reaches = [a["reach"] for a in rows("apps.csv")]
    known = [float(r) for r in reaches if r]
    assert all(0 < r <= 0.95 for r in known)
    assert 0 < reaches.count("") < len(reaches) / 5
    in_market = {(r["app_id"], r["market"]): float(r["reach"]) for r in rows("app_reach.csv")}
    assert in_market[("line", "TW")] >= 0.85 and ("line", "CN") not in in_market
    assert in_market[("wechat", "CN")] >= 0.85 and in_market[("whatsapp", "HK")] >= 0.8
    # Reach per market is published exactly where the overall reach is.
    assert {a for a, _ in in_market} == {a["app_id"] for a in rows("apps.csv") if a["reach"]}


def test_markets_and_category_labels() -> None:
    markets = {m for a in rows("apps.csv") for m in aliases(a["market"])}
    assert markets == {"TW", "CN", "HK", "global"}
    labels = {r["category"]: r for r in rows("categories.csv")}
    assert set(labels) == CATEGORIES
    assert all(r["label_en"] and CJK.search(r["label_zh_tw"]) and CJK.search(r["label_zh_cn"]) for r in labels.values())


def test_audience_shares_sum_to_exactly_one_per_app_and_dimension() -> None:
    data = audience()
    assert set(data) <= set(apps_by_id())
    for app_id, dims in data.items():
        assert list(dims["age"]) == AGE_BUCKETS, app_id
        assert list(dims["gender"]) == GENDER_BUCKETS, app_id
        assert set(dims) == {"age", "gender"}, app_id
        for dimension, shares in dims.items():
            assert sum(shares.values()) == Decimal("1"), (app_id, dimension)
            assert all(Decimal("0") < s < Decimal("1") for s in shares.values()), (app_id, dimension)


def test_audience_rows_are_not_duplicated() -> None:
    triples = Counter((r["app_id"], r["dimension"], r["bucket"]) for r in rows("app_audience.csv"))
    assert max(triples.values()) == 1


def test_some_apps_have_no_audience_data() -> None:
    without = set(apps_by_id()) - set(audience())
    share = len(without) / len(apps_by_id())
    assert 0.05 <= share <= 0.2


def test_population_baseline() -> None:
    population: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in rows("population.csv"):
        population[r["dimension"]][r["bucket"]] = Decimal(r["share"])
    assert list(population["age"]) == AGE_BUCKETS
    assert list(population["gender"]) == GENDER_BUCKETS
    assert all(sum(d.values()) == Decimal("1") for d in population.values())
    assert Decimal("0.45") < population["gender"]["female"] < Decimal("0.55")


def test_audiences_carry_the_known_skews() -> None:
    data = audience()
    female = {app_id: dims["gender"]["female"] for app_id, dims in data.items()}
    assert female["xiaohongshu"] > Decimal("0.7")
    assert female["ptt"] < Decimal("0.4")
    dcard_age = data["dcard"]["age"]
    assert max(dcard_age, key=dcard_age.__getitem__) == "18-24"
    young = {app_id: dims["age"]["18-24"] + dims["age"]["25-34"] for app_id, dims in data.items()}
    assert young["genshin"] > young["line_today"]

    category = {a["app_id"]: a["category"] for a in rows("apps.csv")}

    def mean_female(cat: str) -> Decimal:
        values = [f for app_id, f in female.items() if category[app_id] == cat]
        return sum(values) / len(values)

    assert mean_female("beauty") > Decimal("0.75")
    assert mean_female("parenting") > Decimal("0.7")
    assert mean_female("mobile_games") < Decimal("0.45")
    assert mean_female("automotive") < Decimal("0.35")


def test_segments() -> None:
    segments = rows("segments.csv")
    assert len(segments) >= 40
    assert [s["segment_id"] for s in segments] == [f"seg_{i:03d}" for i in range(1, len(segments) + 1)]
    labels: dict[str, str] = {}
    for s in segments:
        assert 1_000 <= int(s["size"]) <= 500_000_000
        assert s["description"].endswith(".") and s["description"].count(". ") == 0
        assert s["market"] in ("TW", "CN", "HK", "")
        for column in ("name_zh_tw", "name_zh_cn", "description_zh_tw", "description_zh_cn"):
            assert CJK.search(s[column]), (s["segment_id"], column)
        assert s["description_zh_tw"].endswith("。") and s["description_zh_cn"].endswith("。")
        names = aliases(s["aliases"])
        assert any(CJK.search(a) for a in names), s["name"]
        assert any(a.isascii() for a in names), s["name"]
        for k in {key(label) for label in (s["name"], *names)}:
            assert k not in labels, (k, labels.get(k), s["segment_id"])
            labels[k] = s["segment_id"]


def test_segment_apps_exist_and_are_ranked() -> None:
    known_apps = set(apps_by_id())
    members = memberships()
    assert set(members) == {s["segment_id"] for s in rows("segments.csv")}
    for segment_id, apps in members.items():
        ids = [a for a, _ in apps]
        confidences = [c for _, c in apps]
        assert 8 <= len(ids) <= 12, segment_id
        assert len(set(ids)) == len(ids), segment_id
        assert set(ids) <= known_apps, segment_id
        assert all(Decimal("0.45") <= c <= Decimal("0.98") for c in confidences), segment_id
        assert all(c.as_tuple().exponent == -2 for c in confidences), segment_id
        assert confidences == sorted(confidences, reverse=True), segment_id


def test_a_niche_segment_lacks_data() -> None:
    """One segment rests on too few people to show its measured audience, and several of its apps lack data."""
    with_data = set(audience())
    sizes = {r["segment_id"]: int(r["n"]) for r in rows("segment_audience.csv")}
    niche = [
        segment_id
        for segment_id, apps in memberships().items()
        if sum(app_id not in with_data for app_id, _ in apps) >= 3 and sizes[segment_id] < 100
    ]
    assert niche


def test_readme_labels_the_data_synthetic() -> None:
    first = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# Synthetic sample data — not real measurements"
