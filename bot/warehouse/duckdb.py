"""The embedded warehouse: a DuckDB file, created on first use from the shipped sample dataset.

Readers open the file read-only so several processes (the bot, the CLI) can share it. A load writes a complete new
file beside the old one and swaps it in with an atomic rename: a failed load leaves the previous content untouched,
and nobody ever sees a half-loaded warehouse.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from bot.dataset import Dataset, read_dataset, sample_dataset_dir
from bot.errors import WarehouseError
from bot.models import Audience, CatalogApp, SegmentApp, SegmentInfo, SegmentSummary
from bot.warehouse.base import Warehouse
from bot.warehouse.schema import duckdb_ddl

TOP_APPS_IN_SUMMARY = 5


def write_duckdb_file(path: Path, dataset: Dataset) -> None:
    """Write `dataset` into a fresh DuckDB file at `path`, replacing any existing file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB refuses to open an existing empty file as a database
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(duckdb_ddl())
            # Bucket order is kept as the data gives it ("18-24" before "25-34"), not alphabetical.
            tables: dict[str, list[tuple[Any, ...]]] = {
                "apps": [(a.app_id, a.name, a.category, a.aliases, a.reach) for a in dataset.apps],
                "app_audience": [
                    (r.app_id, r.dimension, r.bucket, r.share, i) for i, r in enumerate(dataset.audience)
                ],
                "population": [(r.dimension, r.bucket, r.share, i) for i, r in enumerate(dataset.population)],
                "segments": [(s.id, s.name, s.description, s.size, s.aliases) for s in dataset.segments],
                "segment_apps": [(r.segment_id, r.app_id, r.confidence) for r in dataset.segment_apps],
            }
            for table, rows in tables.items():
                _insert_columns(con, table, rows)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _insert_columns(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """One INSERT per table, with each column passed as a list: row-by-row executemany is far slower in DuckDB."""
    if not rows:
        return
    columns = [list(col) for col in zip(*rows, strict=True)]
    selects = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} SELECT {selects}", columns)  # table names are our own constants


def _audience_from_rows(rows: Sequence[tuple[Any, ...]]) -> dict[str, Audience]:
    out: dict[str, Audience] = {}
    for app_id, dimension, bucket, share in rows:
        out.setdefault(app_id, {}).setdefault(dimension, {})[bucket] = float(share)
    return out


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def open(cls, path: Path) -> DuckDBWarehouse:
        path = Path(path).expanduser()
        if not path.exists():
            # First use: seed from the sample dataset shipped in the package.
            write_duckdb_file(path, read_dataset(sample_dataset_dir()))
        return cls(path)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                try:
                    self._con = duckdb.connect(str(self.path), read_only=True)
                except duckdb.Error as exc:
                    raise WarehouseError(f"Cannot open the warehouse at {self.path}: {exc}") from None
            return self._con

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # A cursor per call: DuckDB connections are not safe to share between threads, cursors are.
        cur = self._connection().cursor()
        try:
            return cur.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise WarehouseError(f"The warehouse query failed: {exc}") from None
        finally:
            cur.close()

    def list_segments(self) -> list[SegmentSummary]:
        rows = self._query(
            """
            SELECT s.segment_id, s.name, s.description, s.size, s.aliases,
                   list(a.name ORDER BY sa.confidence DESC, a.app_id)
                       FILTER (WHERE a.app_id IS NOT NULL) AS top_apps
            FROM segments s
            LEFT JOIN segment_apps sa USING (segment_id)
            LEFT JOIN apps a ON a.app_id = sa.app_id
            GROUP BY ALL
            ORDER BY s.segment_id
            """
        )
        return [
            SegmentSummary(
                id=sid, name=name, description=desc or "", size=size, aliases=list(aliases or []),
                top_apps=list(top or [])[:TOP_APPS_IN_SUMMARY],
            )
            for sid, name, desc, size, aliases, top in rows
        ]

    def get_segment(self, segment_id: str) -> SegmentInfo | None:
        rows = self._query(
            "SELECT segment_id, name, description, size, aliases FROM segments WHERE segment_id = ?", [segment_id]
        )
        if not rows:
            return None
        sid, name, desc, size, aliases = rows[0]
        return SegmentInfo(id=sid, name=name, description=desc or "", size=size, aliases=list(aliases or []))

    def segment_apps(self, segment_id: str) -> list[SegmentApp]:
        rows = self._query(
            """
            SELECT a.app_id, a.name, a.category, a.aliases, a.reach, sa.confidence
            FROM segment_apps sa JOIN apps a USING (app_id)
            WHERE sa.segment_id = ?
            ORDER BY sa.confidence DESC, a.app_id
            """,
            [segment_id],
        )
        audience = self.audience([r[0] for r in rows])
        return [
            SegmentApp(
                app=CatalogApp(app_id=app_id, name=name, category=cat, aliases=list(aliases or []), reach=reach),
                confidence=float(conf),
                audience=audience.get(app_id, {}),
            )
            for app_id, name, cat, aliases, reach, conf in rows
        ]

    def catalog(self) -> list[CatalogApp]:
        rows = self._query("SELECT app_id, name, category, aliases, reach FROM apps ORDER BY app_id")
        return [
            CatalogApp(app_id=i, name=n, category=c, aliases=list(al or []), reach=r) for i, n, c, al, r in rows
        ]

    def audience(self, app_ids: list[str]) -> dict[str, Audience]:
        if not app_ids:
            return {}
        rows = self._query(
            """
            SELECT app_id, dimension, bucket, share FROM app_audience
            WHERE list_contains(?, app_id) ORDER BY app_id, dimension, ord
            """,
            [list(app_ids)],
        )
        return _audience_from_rows(rows)

    def population(self) -> Audience:
        rows = self._query("SELECT dimension, bucket, share FROM population ORDER BY dimension, ord")
        out: Audience = {}
        for dim, bucket, share in rows:
            out.setdefault(dim, {})[bucket] = float(share)
        return out

    def segment_confidences(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        rows = self._query("SELECT segment_id, app_id, confidence FROM segment_apps ORDER BY segment_id, app_id")
        for segment_id, app_id, confidence in rows:
            out.setdefault(segment_id, {})[app_id] = float(confidence)
        return out

    def load(self, dataset: Dataset) -> None:
        self.close()
        write_duckdb_file(self.path, dataset)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
