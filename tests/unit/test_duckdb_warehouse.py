from __future__ import annotations

from pathlib import Path

import pytest

from bot.dataset import read_dataset
from bot.warehouse import sample_seed
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


# --- a file the bot seeded follows the sample the package ships ------------------------------------------------------


def _seed_of(path: Path) -> str | None:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if sample_seed.SEED_TABLE not in tables:
            return None
        row = con.execute(f"SELECT sample_digest FROM {sample_seed.SEED_TABLE}").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def test_a_file_seeded_from_an_older_sample_is_seeded_again(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "seeded.duckdb"
    DuckDBWarehouse.open(path).close()
    assert _seed_of(path) == sample_seed.sample_digest()
    before = path.stat().st_ino
    DuckDBWarehouse.open(path).close()
    assert path.stat().st_ino == before, "a file holding today's sample is left alone"
    con = duckdb.connect(str(path))
    con.execute(f"UPDATE {sample_seed.SEED_TABLE} SET sample_digest = 'an-older-sample'")
    con.execute("DELETE FROM segments")
    con.close()
    wh = DuckDBWarehouse.open(path)
    assert _seed_of(path) == sample_seed.sample_digest()
    assert wh.list_segments(), "the shipped sample is back"


def test_a_loaded_dataset_is_never_replaced_by_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "loaded.duckdb"
    write_duckdb_file(path, read_dataset(write_dataset(tmp_path / "csv")))
    before = path.stat().st_ino
    wh = DuckDBWarehouse.open(path)
    assert path.stat().st_ino == before and _seed_of(path) is None
    assert [s.id for s in wh.list_segments()] == ["s1", "s2"]


def test_a_file_holding_the_sample_shipped_before_contract_v2_is_seeded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import duckdb

    path = tmp_path / "old-sample.duckdb"
    con = duckdb.connect(str(path))
    con.execute(V1_DDL)
    con.close()
    # Stand the hand-made v1 file in for the old shipped sample, by its segments' digest.
    monkeypatch.setattr(sample_seed, "PRE_V2_SAMPLE_SEGMENTS", hashlib.sha256(b"s1\tGym goers").hexdigest()[:16])
    wh = DuckDBWarehouse.open(path)
    assert _seed_of(path) == sample_seed.sample_digest()
    assert wh.get_segment("s1") is None and len(wh.list_segments()) > 40
