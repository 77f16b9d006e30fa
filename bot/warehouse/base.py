"""The `Warehouse` interface every retrieval backend implements (DuckDB embedded, BigQuery in production)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bot.models import (
    Audience,
    CatalogApp,
    CategoryLabels,
    MeasuredAudience,
    SegmentApp,
    SegmentInfo,
    SegmentSummary,
)

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.dataset import Dataset

# Concurrent per-segment reads in the default `segment_confidences`: enough to hide round trips, few enough to
# stay far below any backend's concurrency quota.
_PARALLEL_READS = 8


class Warehouse(ABC):
    @abstractmethod
    def list_segments(self) -> list[SegmentSummary]:
        """All segments, ordered by id, each with the names of its top apps by confidence."""

    @abstractmethod
    def get_segment(self, segment_id: str) -> SegmentInfo | None:
        """One segment by exact id, or None."""

    @abstractmethod
    def segment_apps(self, segment_id: str) -> list[SegmentApp]:
        """A segment's apps, highest confidence first, with category, audience shares, penetration and the app's
        reach in the segment's market (from the reach per market; the overall reach for a segment without a
        market)."""

    @abstractmethod
    def segment_audience(self, segment_id: str) -> MeasuredAudience | None:
        """The segment's measured age and gender with n per dimension, buckets in the data's order; None when the
        dataset has no measurement for it."""

    @abstractmethod
    def categories(self) -> list[CategoryLabels]:
        """Display labels of the categories, ordered by category (empty when the dataset has none)."""

    @abstractmethod
    def catalog(self) -> list[CatalogApp]:
        """Every app with its aliases, for matching pasted lists."""

    @abstractmethod
    def audience(self, app_ids: list[str]) -> dict[str, Audience]:
        """Audience shares of the given apps: app_id -> dimension -> bucket -> share. Apps without data are absent."""

    @abstractmethod
    def population(self) -> Audience:
        """The baseline audience of the whole population (empty when the dataset has none)."""

    @abstractmethod
    def load(self, dataset: Dataset) -> None:
        """Replace the whole content with a validated dataset, atomically."""

    def init_tables(self) -> bool:
        """Create the tables ahead of a load; False where the backend creates them on first use (nothing done)."""
        return False

    def dry_run_estimates(self) -> list[tuple[str, int]] | None:
        """Bytes each of the bot's queries would scan, for backends that bill by it; None where no cost applies."""
        return None

    def segment_confidences(self) -> dict[str, dict[str, float]]:
        """Every segment's apps as segment_id -> app_id -> confidence (for comparing a paste with all segments).

        This default asks `segment_apps` once per segment, a few at a time; a backend that can answer in one
        query should override it.
        """
        segments = [s.id for s in self.list_segments()]
        with ThreadPoolExecutor(max_workers=_PARALLEL_READS) as pool:
            rows = pool.map(self.segment_apps, segments)
            return {sid: {r.app.app_id: r.confidence for r in apps} for sid, apps in zip(segments, rows, strict=True)}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def measured_from_rows(rows: Sequence[Sequence[Any]]) -> MeasuredAudience | None:
    """(dimension, bucket, share, n) rows, buckets in order, as a measured audience; None without rows."""
    if not rows:
        return None
    measured = MeasuredAudience()
    for dimension, bucket, share, n in rows:
        measured.shares.setdefault(dimension, {})[bucket] = float(share)
        measured.n[dimension] = int(n)
    return measured


def open_warehouse(settings: Settings) -> Warehouse:
    if settings.warehouse == "bigquery":
        from bot.warehouse.bigquery import BigQueryWarehouse  # imported lazily: production only

        return BigQueryWarehouse.from_settings(settings)
    from bot.warehouse.duckdb import DuckDBWarehouse

    return DuckDBWarehouse.open(settings.duckdb_path)
