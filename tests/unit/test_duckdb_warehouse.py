from __future__ import annotations

from pathlib import Path

import pytest

from bot.dataset import read_dataset
from bot.warehouse.duckdb import DuckDBWarehouse, write_duckdb_file
from tests.support.dataset_factory import write_dataset


def test_first_use_creates_the_file_from_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "w.duckdb"
    wh = DuckDBWarehouse.open(path)
    assert path.exists()
    assert len(wh.list_segments()) >= 30
    assert len(wh.catalog()) >= 200


def test_bucket_order_is_kept(tmp_path: Path) -> None:
    wh = DuckDBWarehouse.open(tmp_path / "w.duckdb")
    wh.load(read_dataset(write_dataset(tmp_path / "ds")))
    assert list(wh.audience(["keep"])["keep"]["age"]) == ["18-24", "25-34", "35+"]
    apps = wh.segment_apps("s1")
    assert [a.app.app_id for a in apps] == ["keep", "xhs", "nodata"]
    assert apps[2].audience == {}
    assert wh.list_segments()[0].top_apps == ["Keep", "小红书", "Niche Tracker"]


def test_a_failed_write_leaves_the_previous_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    good = read_dataset(write_dataset(tmp_path / "ds"))
    write_duckdb_file(path, good)
    broken = read_dataset(write_dataset(tmp_path / "ds2"))
    broken.segment_apps.append(None)  # type: ignore[arg-type]  # fails half-way through the inserts
    with pytest.raises(AttributeError):
        write_duckdb_file(path, broken)
    wh = DuckDBWarehouse.open(path)
    assert [s.id for s in wh.list_segments()] == ["s1", "s2"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_two_readers_share_the_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    a = DuckDBWarehouse.open(path)
    b = DuckDBWarehouse.open(path)
    assert a.get_segment("seg_001") == b.get_segment("seg_001")
    assert a.get_segment("nope") is None
