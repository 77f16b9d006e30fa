"""Warehouse retrieval for a segment (its record and its apps with audiences), on DuckDB and the BigQuery emulator."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.dataset import read_dataset, sample_dataset_dir
from bot.warehouse.base import Warehouse
from bot.warehouse.duckdb import DuckDBWarehouse


@dataclass
class Retrieval:
    label: str
    first_ms: float | None = None
    times_ms: list[float] | None = None
    unavailable: str | None = None


def _segment_ids() -> list[str]:
    return [s.id for s in read_dataset(sample_dataset_dir()).segments]


def time_retrieval(warehouse: Warehouse, label: str, reps: int) -> Retrieval:
    """The queries behind `PersonaService.ground_segment`: the segment, then its apps with their audiences."""
    ids = _segment_ids()

    def once(segment_id: str) -> float:
        started = time.perf_counter()
        warehouse.get_segment(segment_id)
        warehouse.segment_apps(segment_id)
        return (time.perf_counter() - started) * 1000

    first = once(ids[0])
    return Retrieval(label, first, [once(ids[(i + 1) % len(ids)]) for i in range(reps)])


def duckdb_retrieval(path: Path, reps: int) -> Retrieval:
    warehouse = DuckDBWarehouse.open(path)
    try:
        return time_retrieval(warehouse, "DuckDB (embedded file)", reps)
    finally:
        warehouse.close()


def bigquery_retrieval(tmp: Path, reps: int) -> Retrieval:
    label = "BigQuery (emulated: local bqemulator)"
    if reps <= 0:
        return Retrieval(label, unavailable="not run at this scale")
    try:
        from bot.warehouse.bigquery import BigQueryWarehouse
        from tests.support.bq_emulator import EmulatorUnavailable, fresh_dataset, make_client, running_emulator
    except ImportError as exc:
        return Retrieval(label, unavailable=f"cannot import the BigQuery parts ({exc})")
    try:
        with running_emulator(log_path=tmp / "bq-emulator.log") as endpoint:
            client = make_client(endpoint)
            try:
                warehouse = BigQueryWarehouse(client, fresh_dataset(client, "bench"))
                warehouse.load(read_dataset(sample_dataset_dir()))
                return time_retrieval(warehouse, label, reps)
            finally:
                client.close()
    except EmulatorUnavailable as exc:
        return Retrieval(label, unavailable=str(exc))
