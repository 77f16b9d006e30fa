from __future__ import annotations

from pathlib import Path

import pytest

from bot.dataset import read_dataset
from bot.errors import DatasetError
from tests.support.dataset_factory import (
    APP_REACH,
    APPS,
    APPS_V2,
    AUDIENCE,
    CATEGORIES,
    SEGMENT_APPS,
    SEGMENT_APPS_V2,
    SEGMENT_AUDIENCE,
    SEGMENTS,
    SEGMENTS_V2,
    audience_by_app,
    population_audience,
    write_dataset,
    write_dataset_v2,
)


def test_reads_a_valid_dataset(tmp_path: Path) -> None:
    ds = read_dataset(write_dataset(tmp_path))
    assert [a.app_id for a in ds.apps] == ["keep", "xhs", "meituan", "nodata"]
    assert ds.apps[1].aliases == ["Xiaohongshu", "RED", "小紅書"]
    assert ds.apps[3].reach is None and ds.apps[3].aliases == []
    assert ds.segments[0].size == 120000 and ds.segments[0].aliases == ["健身族", "健身族群"]
    assert audience_by_app(ds)["xhs"]["gender"] == {"female": 0.8, "male": 0.2}
    assert population_audience(ds)["age"] == {"18-24": 0.2, "25-34": 0.3, "35+": 0.5}


def test_population_is_optional(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    (tmp_path / "population.csv").unlink()
    assert read_dataset(tmp_path).population == []


def test_sample_dataset_is_valid(sample_dataset) -> None:
    assert len(sample_dataset.apps) >= 200
    assert len(sample_dataset.segments) >= 30


@pytest.mark.parametrize(
    ("name", "rows", "expected"),
    [
        ("apps.csv", [*APPS, ["keep", "Keep again", "fitness", "", ""]], "apps.csv, row 6, column 'app_id': duplicate"),
        ("apps.csv", [*APPS[:2], ["x", "", "fitness", "", ""]], "apps.csv, row 3, column 'name': is empty"),
        ("apps.csv", [*APPS[:2], ["x", "X", "social", "", "1.5"]], "apps.csv, row 3, column 'reach': 1.5 is outside"),
        ("apps.csv", [["app_id", "name"], ["x", "X"]], "apps.csv, row 1: missing column(s) category"),
        ("app_audience.csv", [*AUDIENCE, ["ghost", "age", "18-24", "1"]], "column 'app_id': app_id 'ghost' is not"),
        ("app_audience.csv", [*AUDIENCE[:-1], ["meituan", "gender", "male", "0.9"]], "sum to 1.4000, not 1"),
        ("app_audience.csv", [*AUDIENCE, ["keep", "income", "high", "1"]], "column 'dimension': 'income' is not"),
        ("app_audience.csv", [*AUDIENCE[:2], ["keep", "age", "25-34", "abc"]], "column 'share': 'abc' is not a number"),
        ("segments.csv", [*SEGMENTS, ["s3", "X", "", "lots", ""]], "segments.csv, row 4, column 'size'"),
        ("segment_apps.csv", [*SEGMENT_APPS, ["s9", "keep", "0.5"]], "segment_id 's9' is not in segments.csv"),
        ("segment_apps.csv", [*SEGMENT_APPS, ["s1", "keep", "0.5"]], "app 'keep' is listed twice for s1"),
        ("segment_apps.csv", [*SEGMENT_APPS, ["s2", "keep", "-0.1"]], "column 'confidence': -0.1 is outside"),
        ("segment_apps.csv", SEGMENT_APPS[:4], "segment(s) s2 have no apps"),
    ],
)
def test_errors_name_file_row_and_column(tmp_path: Path, name: str, rows, expected: str) -> None:
    write_dataset(tmp_path, {name: rows})
    with pytest.raises(DatasetError) as err:
        read_dataset(tmp_path)
    assert expected in str(err.value)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    (tmp_path / "segments.csv").unlink()
    with pytest.raises(DatasetError, match=r"segments\.csv: is missing"):
        read_dataset(tmp_path)
    write_dataset(tmp_path)
    (tmp_path / "apps.csv").write_bytes("app_id,name,category\nx,\xff\xfe,social\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"apps\.csv: not valid UTF-8"):
        read_dataset(tmp_path)


def test_byte_order_mark_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    path = tmp_path / "segments.csv"
    path.write_text("\ufeff" + path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert [s.id for s in read_dataset(tmp_path).segments] == ["s1", "s2"]


def test_a_v1_dataset_still_loads_with_empty_v2_facts(tmp_path: Path) -> None:
    ds = read_dataset(write_dataset(tmp_path))
    assert all(a.market == [] for a in ds.apps)
    assert all(s.market is None and s.localized_name("zh-TW") == s.name for s in ds.segments)
    assert all(r.penetration is None for r in ds.segment_apps)
    assert (ds.segment_audience, ds.categories, ds.app_reach) == ([], [], [])


def test_reads_the_v2_columns_and_files(tmp_path: Path) -> None:
    ds = read_dataset(write_dataset_v2(tmp_path))
    assert [a.market for a in ds.apps] == [["CN"], ["CN", "TW", "HK"], ["CN"], ["global"]]
    s1, s2 = ds.segments
    assert (s1.market, s1.localized_name("zh-CN")) == ("CN", "健身族")
    assert s1.localized_description("zh-TW") == "每週訓練的人。"
    assert (s2.market, s2.localized_name("zh-CN"), s2.localized_description("en")) == (None, "Foodies", s2.description)
    assert [r.penetration for r in ds.segment_apps] == [0.63, 0.5, None, 0.8, 0.6]
    assert {(r.segment_id, r.dimension, r.n) for r in ds.segment_audience} == {
        ("s1", "age", 1500), ("s1", "gender", 1500), ("s2", "age", 40), ("s2", "gender", 40)
    }
    assert [c.label("zh-TW") for c in ds.categories] == ["健身", "社群", "Food delivery"]
    assert [(r.app_id, r.market, r.reach) for r in ds.app_reach][:2] == [("keep", "CN", 0.15), ("xhs", "CN", 0.4)]


@pytest.mark.parametrize(
    ("name", "rows", "expected"),
    [
        ("apps.csv", [*APPS_V2[:2], [*APPS[2], "C N"]], "apps.csv, row 3, column 'market': 'C N' is not a market"),
        ("segments.csv", [*SEGMENTS_V2, ["s3", "X", "", "", "", "T|W", "", "", "", ""]], "column 'market'"),
        ("segment_apps.csv", [*SEGMENT_APPS_V2, ["s2", "keep", "0.5", "1.2"]], "column 'penetration': 1.2 is outside"),
        ("segment_audience.csv", [*SEGMENT_AUDIENCE, ["s9", "age", "18-24", "1", "5"]], "segment_id 's9' is not"),
        ("segment_audience.csv", [*SEGMENT_AUDIENCE[:-1], ["s2", "gender", "male", "0.9", "40"]], "sum to 1.3500"),
        ("segment_audience.csv", [*SEGMENT_AUDIENCE[:2], ["s1", "age", "25-34", "0.75", "1400"]], "n is 1400 here"),
        ("segment_audience.csv", [*SEGMENT_AUDIENCE[:2], ["s1", "age", "25-34", "0.75", "many"]], "not a whole"),
        ("segment_audience.csv", [*SEGMENT_AUDIENCE, ["s1", "income", "high", "1", "5"]], "'income' is not one of"),
        ("categories.csv", [*CATEGORIES, ["fitness", "Again", "", ""]], "categories.csv, row 5, column 'category'"),
        ("categories.csv", [*CATEGORIES, ["news", "", "", ""]], "column 'label_en': is empty"),
        ("app_reach.csv", [*APP_REACH, ["ghost", "CN", "0.1"]], "app_id 'ghost' is not in apps.csv"),
        ("app_reach.csv", [*APP_REACH, ["keep", "CN", "0.2"]], "keep / CN is listed twice"),
        ("app_reach.csv", [*APP_REACH, ["keep", "TW", "2"]], "column 'reach': 2 is outside"),
    ],
)
def test_v2_errors_name_file_row_and_column(tmp_path: Path, name: str, rows, expected: str) -> None:
    write_dataset_v2(tmp_path, {name: rows})
    with pytest.raises(DatasetError) as err:
        read_dataset(tmp_path)
    assert expected in str(err.value)
