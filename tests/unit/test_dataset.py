from __future__ import annotations

from pathlib import Path

import pytest

from bot.dataset import read_dataset
from bot.errors import DatasetError
from tests.support.dataset_factory import (
    APPS,
    AUDIENCE,
    SEGMENT_APPS,
    SEGMENTS,
    audience_by_app,
    population_audience,
    write_dataset,
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
