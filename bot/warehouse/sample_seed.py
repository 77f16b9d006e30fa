"""Keeping a warehouse file seeded from the shipped sample in step with the sample the package now ships.

A file the bot seeded itself (first use, no `warehouse load`) records which sample it holds. When a new version of
the package ships a different sample, the file is seeded again on open, so a developer's `persona-bot dev` shows
today's sample rather than the one of the day it was first run. Files loaded with `warehouse load` carry no such
record and are never replaced.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import duckdb

from bot.dataset import sample_dataset_dir

SEED_TABLE = "warehouse_seed"
# The sample shipped before dataset contract v2 (43 segments, no seed record yet), by the digest of its segment ids
# and names: a file holding exactly it was seeded by the bot, so it is seeded again rather than upgraded in place.
PRE_V2_SAMPLE_SEGMENTS = "08710d1cb51e0634"


@cache
def sample_digest() -> str:
    """A digest of the shipped sample's files: it changes whenever the sample does."""
    digest = hashlib.sha256()
    for path in sorted(Path(sample_dataset_dir()).glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def record_seed(con: duckdb.DuckDBPyConnection, digest: str) -> None:
    con.execute(f"CREATE TABLE {SEED_TABLE} (sample_digest VARCHAR)")
    con.execute(f"INSERT INTO {SEED_TABLE} VALUES (?)", [digest])


def holds_an_older_sample(path: Path) -> bool:
    """Whether the file at `path` was seeded from a sample other than the one shipped now."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False  # locked or unreadable: the first query reports it, with the path
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if SEED_TABLE in tables:
            row = con.execute(f"SELECT sample_digest FROM {SEED_TABLE}").fetchone()
            return row is not None and row[0] != sample_digest()
        if "segments" not in tables:
            return False
        rows = con.execute("SELECT segment_id, name FROM segments ORDER BY segment_id").fetchall()
        listed = "\n".join(f"{sid}\t{name}" for sid, name in rows)
        return hashlib.sha256(listed.encode()).hexdigest()[:16] == PRE_V2_SAMPLE_SEGMENTS
    except duckdb.Error:
        return False
    finally:
        con.close()
