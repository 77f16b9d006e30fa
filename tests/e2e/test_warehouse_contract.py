"""One contract, every warehouse: DuckDB and BigQuery give the same answers from the same CSV files.

Three datasets: the shipped sample, the hand-made contract v1 dataset (older datasets keep loading) and the same
with every v2 column and file (markets, localized segments, penetration, measured audiences, labels, reach per
market).

Expected answers are computed here from the validated `Dataset` (what the contract in docs/dataset.md says), so
each implementation is checked on its own, not only against the other. The BigQuery runs use the local emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.dataset import Dataset, read_dataset, sample_dataset_dir
from bot.models import Audience, CategoryLabels, MeasuredAudience, SegmentApp, SegmentSummary
from bot.warehouse.base import Warehouse
from bot.warehouse.duckdb import DuckDBWarehouse
from tests.support.bq_emulator import bq_client, bq_endpoint, fresh_dataset  # noqa: F401
from tests.support.dataset_factory import write_dataset, write_dataset_v2

BACKENDS = ["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)]
DATASETS = ["sample", "handmade", "handmade_v2"]
WRITERS = {"handmade": write_dataset, "handmade_v2": write_dataset_v2}

HOSTILE = [
    "'; DROP TABLE apps; --",
    "\\'; DELETE FROM segments WHERE TRUE; --",
    "s1' OR '1'='1",
    '"s1"',
    "`segments`",
    "back\\slash\\",
    "%",
    "_",
    "@segment",
    "s1\n",
    "nul\x00byte",
    "健身愛好者 🏋️ ünïcödé",
    "",
]


class Loaded:
    """Each dataset read once and each (backend, dataset) pair loaded once, however pytest orders the tests."""

    def __init__(self, tmp: pytest.TempPathFactory):
        self.tmp = tmp
        self.datasets: dict[str, Dataset] = {}
        self.warehouses: dict[tuple[str, str], Warehouse] = {}

    def dataset(self, name: str) -> Dataset:
        if name not in self.datasets:
            directory = sample_dataset_dir() if name == "sample" else WRITERS[name](self.tmp.mktemp("csv"))
            self.datasets[name] = read_dataset(directory)
        return self.datasets[name]

    def warehouse(self, backend: str, name: str, bq: Any = None) -> Warehouse:
        key = (backend, name)
        if key not in self.warehouses:
            warehouse: Warehouse
            if backend == "duckdb":
                # The constructor rather than `open`: `open` first seeds the file from the sample, which `load`
                # then replaces anyway.
                warehouse = DuckDBWarehouse(self.tmp.mktemp("duckdb") / "w.duckdb")
            else:
                from google.api_core.retry import Retry

                from bot.warehouse.bigquery import BigQueryWarehouse

                # A bounded retry: a server error must fail the test quickly, not after minutes of retries.
                warehouse = BigQueryWarehouse(bq, fresh_dataset(bq, "contract"), timeout=20, retry=Retry(timeout=5))
            warehouse.load(self.dataset(name))
            self.warehouses[key] = warehouse
        return self.warehouses[key]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    state = Loaded(tmp_path_factory)
    yield state
    for warehouse in state.warehouses.values():
        warehouse.close()


@pytest.fixture(params=DATASETS)
def dataset_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dataset(loaded: Loaded, dataset_name: str) -> Dataset:
    return loaded.dataset(dataset_name)


@pytest.fixture(params=BACKENDS)
def wh(request: pytest.FixtureRequest, loaded: Loaded, dataset_name: str) -> Warehouse:
    bq = request.getfixturevalue("bq_client") if request.param == "bigquery" else None
    return loaded.warehouse(request.param, dataset_name, bq)


def _some_segments(ds: Dataset) -> list[str]:
    """First, last, every fifth, and those with apps that lack audience data: the interesting cases, quickly."""
    with_audience = {r.app_id for r in ds.audience}
    gaps = {r.segment_id for r in ds.segment_apps if r.app_id not in with_audience}
    ids = [s.id for s in ds.segments]
    return [sid for i, sid in enumerate(ids) if i % 5 == 0 or sid in gaps or i == len(ids) - 1][:12]


# --- what the contract says, computed from the dataset --------------------------------------------------------------


def _ranked(ds: Dataset, segment_id: str) -> list[Any]:
    known = {a.app_id for a in ds.apps}
    rows = [r for r in ds.segment_apps if r.segment_id == segment_id and r.app_id in known]
    return sorted(rows, key=lambda r: (-r.confidence, r.app_id))


def expected_segments(ds: Dataset) -> list[SegmentSummary]:
    names = {a.app_id: a.name for a in ds.apps}
    return [
        SegmentSummary(**s.model_dump(), top_apps=[names[r.app_id] for r in _ranked(ds, s.id)][:5])
        for s in sorted(ds.segments, key=lambda s: s.id)
    ]


def expected_audience(ds: Dataset, app_ids: list[str]) -> dict[str, Audience]:
    # Apps by id, dimensions by name, buckets in the order of the file.
    out: dict[str, Audience] = {}
    for app_id in sorted(set(app_ids)):
        rows = [r for r in ds.audience if r.app_id == app_id]
        for dim in sorted({r.dimension for r in rows}):
            for r in rows:
                if r.dimension == dim:
                    out.setdefault(app_id, {}).setdefault(dim, {})[r.bucket] = r.share
    return out


def expected_market_reach(ds: Dataset, segment_id: str, app_id: str) -> float | None:
    """The contract: the app's reach in the segment's market, or its overall reach for a segment without one."""
    market = next(s.market for s in ds.segments if s.id == segment_id)
    if market is None:
        return next(a.reach for a in ds.apps if a.app_id == app_id)
    return next((r.reach for r in ds.app_reach if r.app_id == app_id and r.market == market), None)


def expected_segment_apps(ds: Dataset, segment_id: str) -> list[SegmentApp]:
    apps = {a.app_id: a for a in ds.apps}
    audience = expected_audience(ds, [r.app_id for r in _ranked(ds, segment_id)])
    return [
        SegmentApp(
            app=apps[r.app_id],
            confidence=r.confidence,
            audience=audience.get(r.app_id, {}),
            penetration=r.penetration,
            market_reach=expected_market_reach(ds, segment_id, r.app_id),
        )
        for r in _ranked(ds, segment_id)
    ]


def expected_segment_audience(ds: Dataset, segment_id: str) -> MeasuredAudience | None:
    rows = [r for r in ds.segment_audience if r.segment_id == segment_id]
    if not rows:
        return None
    out = MeasuredAudience()
    for dim in sorted({r.dimension for r in rows}):
        for r in rows:
            if r.dimension == dim:
                out.shares.setdefault(dim, {})[r.bucket] = r.share
                out.n[dim] = r.n
    return out


def ordered(value: Any) -> Any:
    """Dicts as lists of items, so comparisons also check the order of keys (bucket order matters on cards)."""
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [ordered(v) for v in value]
    if hasattr(value, "model_dump"):
        return ordered(value.model_dump())
    return value


# --- the contract ------------------------------------------------------------------------------------------------


def test_list_segments(wh: Warehouse, dataset: Dataset) -> None:
    got = wh.list_segments()
    assert ordered(got) == ordered(expected_segments(dataset))
    assert [s.id for s in got] == sorted(s.id for s in dataset.segments)


def test_get_segment_hit_and_miss(wh: Warehouse, dataset: Dataset) -> None:
    for seg in (dataset.segments[0], dataset.segments[-1]):
        assert wh.get_segment(seg.id) == seg
    assert wh.get_segment("no-such-segment") is None
    # Ids match exactly: no case folding, no trimming, no prefix.
    first = dataset.segments[0].id
    assert wh.get_segment(first.upper() if first != first.upper() else first.lower()) is None
    assert wh.get_segment(first + " ") is None
    assert wh.get_segment(first[:-1]) is None


def test_segment_apps(wh: Warehouse, dataset: Dataset) -> None:
    for sid in _some_segments(dataset):
        got = wh.segment_apps(sid)
        assert got, sid
        assert ordered(got) == ordered(expected_segment_apps(dataset, sid)), sid
    assert wh.segment_apps("no-such-segment") == []


def test_segment_audience(wh: Warehouse, dataset: Dataset) -> None:
    for segment in dataset.segments:
        expected = expected_segment_audience(dataset, segment.id)
        assert ordered(wh.segment_audience(segment.id)) == ordered(expected), segment.id
    assert wh.segment_audience("no-such-segment") is None


def test_categories(wh: Warehouse, dataset: Dataset) -> None:
    assert wh.categories() == sorted(dataset.categories, key=lambda c: c.category)


def test_segment_confidences(wh: Warehouse, dataset: Dataset) -> None:
    expected: dict[str, dict[str, float]] = {s.id: {} for s in dataset.segments}
    for row in dataset.segment_apps:
        expected[row.segment_id][row.app_id] = row.confidence
    got = wh.segment_confidences()
    assert {sid: apps for sid, apps in got.items() if apps} == {sid: apps for sid, apps in expected.items() if apps}


def test_catalog(wh: Warehouse, dataset: Dataset) -> None:
    assert wh.catalog() == sorted(dataset.apps, key=lambda a: a.app_id)


def test_audience(wh: Warehouse, dataset: Dataset) -> None:
    ids = [a.app_id for a in dataset.apps]
    without = [i for i in ids if i not in {r.app_id for r in dataset.audience}]
    some = [ids[-1], ids[0], *without[:1], "no-such-app", ids[0]]
    assert ordered(wh.audience(some)) == ordered(expected_audience(dataset, some))
    assert ordered(wh.audience(ids)) == ordered(expected_audience(dataset, ids))
    assert wh.audience([]) == {}
    assert wh.audience(without) == {}


def test_population(wh: Warehouse, dataset: Dataset) -> None:
    expected: Audience = {}
    for dim in sorted({r.dimension for r in dataset.population}):
        expected[dim] = {r.bucket: r.share for r in dataset.population if r.dimension == dim}
    assert ordered(wh.population()) == ordered(expected)


def test_hostile_strings_are_plain_values(wh: Warehouse, dataset: Dataset) -> None:
    before = (wh.list_segments(), wh.catalog(), wh.population())
    known = dataset.apps[0].app_id
    for text in HOSTILE:
        assert wh.get_segment(text) is None, text
        assert wh.segment_apps(text) == [], text
        assert wh.segment_audience(text) is None, text
        assert wh.audience([text]) == {}, text
        assert list(wh.audience([text, known])) == [known], text
    assert (wh.list_segments(), wh.catalog(), wh.population()) == before


def test_handmade_numbers(wh: Warehouse, dataset_name: str) -> None:
    """Known literal answers, independent of the expectations computed above."""
    if not dataset_name.startswith("handmade"):
        pytest.skip("literal numbers of the hand-made datasets")
    apps = wh.segment_apps("s1")
    assert [(a.app.app_id, a.confidence) for a in apps] == [("keep", 0.9), ("xhs", 0.6), ("nodata", 0.3)]
    assert apps[0].app.category == "fitness"
    assert apps[1].app.aliases == ["Xiaohongshu", "RED", "小紅書"]
    assert list(apps[0].audience["age"].items()) == [("18-24", 0.3), ("25-34", 0.5), ("35+", 0.2)]
    assert apps[2].audience == {} and apps[2].app.reach is None
    summary = wh.list_segments()
    assert [(s.id, s.top_apps, s.size) for s in summary] == [
        ("s1", ["Keep", "小红书", "Niche Tracker"], 120000),
        ("s2", ["美团", "小红书"], 80000),
    ]
    assert wh.population()["gender"] == {"female": 0.5, "male": 0.5}
    if dataset_name == "handmade":
        # A v1 dataset: none of the v2 facts, and nothing made up in their place.
        assert [(a.penetration, a.market_reach) for a in apps] == [(None, 0.2), (None, 0.4), (None, None)]
        assert wh.segment_audience("s1") is None and wh.categories() == []
        assert wh.get_segment("s1").market is None and apps[0].app.market == []
        return
    segment = wh.get_segment("s1")
    assert (segment.market, segment.localized_name("zh-TW"), segment.localized_description("zh-CN")) == (
        "CN", "健身族", "每周训练的人。"
    )
    assert wh.get_segment("s2").localized_name("zh-TW") == "Foodies"
    # s1 is in CN: reach in CN; "nodata" has no CN reach. s2 has no market: the overall reach.
    assert [(a.penetration, a.market_reach) for a in apps] == [(0.63, 0.15), (0.5, 0.4), (None, None)]
    assert [(a.penetration, a.market_reach) for a in wh.segment_apps("s2")] == [(0.8, 0.5), (0.6, 0.4)]
    assert apps[1].app.market == ["CN", "TW", "HK"]
    measured = wh.segment_audience("s1")
    assert measured is not None and measured.n == {"age": 1500, "gender": 1500}
    assert list(measured.shares["age"].items()) == [("18-24", 0.25), ("25-34", 0.55), ("35+", 0.2)]
    assert wh.categories()[0] == CategoryLabels(category="fitness", label_en="Fitness", label_zh_tw="健身",
                                                label_zh_cn="健身")
    assert wh.categories()[1].label("zh-TW") == "Food delivery"


@pytest.mark.bigquery
def test_bigquery_and_duckdb_agree(
    loaded: Loaded, dataset_name: str, dataset: Dataset, bq_client: Any  # noqa: F811
) -> None:
    """The two implementations side by side on the same data, method by method."""
    bq = loaded.warehouse("bigquery", dataset_name, bq_client)
    duck = loaded.warehouse("duckdb", dataset_name)
    ids = [a.app_id for a in dataset.apps]
    assert ordered(bq.list_segments()) == ordered(duck.list_segments())
    assert ordered(bq.catalog()) == ordered(duck.catalog())
    assert ordered(bq.audience(ids)) == ordered(duck.audience(ids))
    assert ordered(bq.population()) == ordered(duck.population())
    assert bq.categories() == duck.categories()
    for sid in _some_segments(dataset)[:4]:
        assert bq.get_segment(sid) == duck.get_segment(sid)
        assert ordered(bq.segment_apps(sid)) == ordered(duck.segment_apps(sid))
        assert ordered(bq.segment_audience(sid)) == ordered(duck.segment_audience(sid))
