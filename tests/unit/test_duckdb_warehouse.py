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


V1_DDL = """
CREATE TABLE apps (app_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, category VARCHAR NOT NULL,
                   aliases VARCHAR[] NOT NULL, reach DOUBLE);
CREATE TABLE app_audience (app_id VARCHAR, dimension VARCHAR, bucket VARCHAR, share DOUBLE, ord INTEGER);
CREATE TABLE population (dimension VARCHAR, bucket VARCHAR, share DOUBLE, ord INTEGER);
CREATE TABLE segments (segment_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, description VARCHAR, size BIGINT,
                       aliases VARCHAR[] NOT NULL);
CREATE TABLE segment_apps (segment_id VARCHAR, app_id VARCHAR, confidence DOUBLE);
INSERT INTO apps VALUES ('keep', 'Keep', 'fitness', ['Keep健身'], 0.2);
INSERT INTO app_audience VALUES ('keep', 'gender', 'female', 0.6, 0), ('keep', 'gender', 'male', 0.4, 1);
INSERT INTO population VALUES ('gender', 'female', 0.5, 0), ('gender', 'male', 0.5, 1);
INSERT INTO segments VALUES ('s1', 'Gym goers', 'People who train weekly.', 120000, ['健身族']);
INSERT INTO segment_apps VALUES ('s1', 'keep', 0.9);
"""


def test_a_warehouse_file_from_before_contract_v2_is_upgraded_with_its_content(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(V1_DDL)
    con.close()
    wh = DuckDBWarehouse.open(path)
    [app] = wh.segment_apps("s1")
    assert (app.app.name, app.confidence, app.audience, app.penetration) == (
        "Keep", 0.9, {"gender": {"female": 0.6, "male": 0.4}}, None
    )
    assert wh.get_segment("s1").aliases == ["健身族"] and wh.segment_audience("s1") is None
    assert wh.population()["gender"] == {"female": 0.5, "male": 0.5} and wh.categories() == []
