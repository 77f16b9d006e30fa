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

from bot.dataset import AudienceRow, Dataset, PopulationRow, SegmentAppRow, read_dataset, sample_dataset_dir
from bot.errors import WarehouseError
from bot.models import (
    Audience,
    CatalogApp,
    CategoryLabels,
    MeasuredAudience,
    SegmentApp,
    SegmentInfo,
    SegmentSummary,
)
from bot.warehouse.base import Warehouse, measured_from_rows
from bot.warehouse.sample_seed import holds_an_older_sample, record_seed, sample_digest
from bot.warehouse.schema import duckdb_ddl

TOP_APPS_IN_SUMMARY = 5


def write_duckdb_file(path: Path, dataset: Dataset, *, seed: str | None = None) -> None:
    """Write `dataset` into a fresh DuckDB file at `path`, replacing any existing file atomically.

    `seed` is the digest of the shipped sample when the bot seeds the file itself (see `sample_seed`)."""
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
                "apps": [(a.app_id, a.name, a.category, a.aliases, a.reach, a.market) for a in dataset.apps],
                "app_audience": [
                    (r.app_id, r.dimension, r.bucket, r.share, i) for i, r in enumerate(dataset.audience)
                ],
                "population": [(r.dimension, r.bucket, r.share, i) for i, r in enumerate(dataset.population)],
                "segments": [
                    (s.id, s.name, s.description, s.size, s.aliases, s.market, s.name_zh_tw, s.name_zh_cn,
                     s.description_zh_tw, s.description_zh_cn)
                    for s in dataset.segments
                ],
                "segment_apps": [
                    (r.segment_id, r.app_id, r.confidence, r.penetration) for r in dataset.segment_apps
                ],
                "segment_audience": [
                    (r.segment_id, r.dimension, r.bucket, r.share, r.n, i)
                    for i, r in enumerate(dataset.segment_audience)
                ],
                "categories": [(c.category, c.label_en, c.label_zh_tw, c.label_zh_cn) for c in dataset.categories],
                "app_reach": [(r.app_id, r.market, r.reach) for r in dataset.app_reach],
            }
            for table, rows in tables.items():
                _insert_columns(con, table, rows)
            if seed is not None:
                record_seed(con, seed)
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


_SEGMENT_COLUMNS = (
    "segment_id, name, description, size, aliases, market, name_zh_tw, name_zh_cn, description_zh_tw, "
    "description_zh_cn"
)


def _segment(row: Sequence[Any]) -> SegmentInfo:
    sid, name, desc, size, aliases, market, name_tw, name_cn, desc_tw, desc_cn = row
    return SegmentInfo(
        id=sid, name=name, description=desc or "", size=size, aliases=list(aliases or []), market=market,
        name_zh_tw=name_tw, name_zh_cn=name_cn, description_zh_tw=desc_tw, description_zh_cn=desc_cn,
    )


def _app(row: Sequence[Any]) -> CatalogApp:
    app_id, name, category, aliases, reach, market = row
    return CatalogApp(
        app_id=app_id, name=name, category=category, aliases=list(aliases or []), reach=reach,
        market=list(market or []),
    )


def _audience_from_rows(rows: Sequence[tuple[Any, ...]]) -> dict[str, Audience]:
    out: dict[str, Audience] = {}
    for app_id, dimension, bucket, share in rows:
        out.setdefault(app_id, {}).setdefault(dimension, {})[bucket] = float(share)
    return out


def _upgrade_v1_file(path: Path) -> None:
    """Rewrite a warehouse file written before contract v2 (no markets, penetration or measured audiences) with the
    v2 tables, keeping its content; a v2 file is left alone."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return  # the first query reports it, with the path
    try:
        columns = con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'apps' AND column_name = 'market'"
        ).fetchone()
        if columns is None or columns[0] > 0:
            return
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return con.execute(sql).fetchall()

        dataset = Dataset(
            apps=[
                CatalogApp(app_id=i, name=n, category=c, aliases=list(al or []), reach=r)
                for i, n, c, al, r in rows("SELECT app_id, name, category, aliases, reach FROM apps ORDER BY app_id")
            ],
            audience=[
                AudienceRow(*r) for r in rows("SELECT app_id, dimension, bucket, share FROM app_audience ORDER BY ord")
            ],
            population=[
                PopulationRow(*r) for r in rows("SELECT dimension, bucket, share FROM population ORDER BY ord")
            ],
            segments=[
                SegmentInfo(id=i, name=n, description=d or "", size=z, aliases=list(al or []))
                for i, n, d, z, al in rows("SELECT segment_id, name, description, size, aliases FROM segments")
            ],
            segment_apps=[SegmentAppRow(*r) for r in rows("SELECT segment_id, app_id, confidence FROM segment_apps")],
        )
    finally:
        con.close()
    write_duckdb_file(path, dataset)


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def open(cls, path: Path) -> DuckDBWarehouse:
        path = Path(path).expanduser()
        if not path.exists() or holds_an_older_sample(path):
            # First use, or a file the bot seeded from an older sample: seed from the sample shipped now.
            write_duckdb_file(path, read_dataset(sample_dataset_dir()), seed=sample_digest())
        else:
            _upgrade_v1_file(path)
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
            SELECT s.segment_id, s.name, s.description, s.size, s.aliases, s.market, s.name_zh_tw, s.name_zh_cn,
                   s.description_zh_tw, s.description_zh_cn,
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
            SegmentSummary(**_segment(row[:-1]).model_dump(), top_apps=list(row[-1] or [])[:TOP_APPS_IN_SUMMARY])
            for row in rows
        ]

    def get_segment(self, segment_id: str) -> SegmentInfo | None:
        rows = self._query(f"SELECT {_SEGMENT_COLUMNS} FROM segments WHERE segment_id = ?", [segment_id])
        return _segment(rows[0]) if rows else None

    def segment_apps(self, segment_id: str) -> list[SegmentApp]:
        # The app's reach in the segment's market is the baseline of its index; a segment without a market is
        # compared with the whole population.
        rows = self._query(
            """
            SELECT a.app_id, a.name, a.category, a.aliases, a.reach, a.market, sa.confidence, sa.penetration,
                   CASE WHEN s.market IS NULL THEN a.reach ELSE r.reach END AS market_reach
            FROM segment_apps sa
            JOIN apps a USING (app_id)
            JOIN segments s USING (segment_id)
            LEFT JOIN app_reach r ON r.app_id = sa.app_id AND r.market = s.market
            WHERE sa.segment_id = ?
            ORDER BY sa.confidence DESC, a.app_id
            """,
            [segment_id],
        )
        audience = self.audience([r[0] for r in rows])
        return [
            SegmentApp(
                app=_app(row[:6]),
                confidence=float(conf),
                audience=audience.get(row[0], {}),
                penetration=pen,
                market_reach=market_reach,
            )
            for *row, conf, pen, market_reach in rows
        ]

    def segment_audience(self, segment_id: str) -> MeasuredAudience | None:
        rows = self._query(
            "SELECT dimension, bucket, share, n FROM segment_audience WHERE segment_id = ? ORDER BY dimension, ord",
            [segment_id],
        )
        return measured_from_rows(rows)

    def categories(self) -> list[CategoryLabels]:
        rows = self._query("SELECT category, label_en, label_zh_tw, label_zh_cn FROM categories ORDER BY category")
        return [CategoryLabels(category=c, label_en=en, label_zh_tw=tw, label_zh_cn=cn) for c, en, tw, cn in rows]

    def catalog(self) -> list[CatalogApp]:
        rows = self._query("SELECT app_id, name, category, aliases, reach, market FROM apps ORDER BY app_id")
        return [_app(row) for row in rows]

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
