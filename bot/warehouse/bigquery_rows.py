"""Rows of the BigQuery warehouse: query results as models, and a dataset as rows to load, table by table."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.models import CatalogApp, SegmentInfo
from bot.warehouse.bigquery_sql import SEGMENT_COLUMNS

if TYPE_CHECKING:
    from bot.dataset import Dataset


def segment_from_row(row: Mapping[str, Any]) -> SegmentInfo:
    return SegmentInfo(
        id=row["segment_id"],
        name=row["name"],
        description=row["description"] or "",
        size=row["size"],
        aliases=list(row["aliases"] or []),
        market=row["market"],
        # Columns a v1 deployment added later hold NULL in old rows.
        name_zh_tw=row["name_zh_tw"] or "",
        name_zh_cn=row["name_zh_cn"] or "",
        description_zh_tw=row["description_zh_tw"] or "",
        description_zh_cn=row["description_zh_cn"] or "",
    )


def app_from_row(row: Mapping[str, Any]) -> CatalogApp:
    return CatalogApp(
        app_id=row["app_id"], name=row["name"], category=row["category"], aliases=list(row["aliases"] or []),
        reach=row["reach"], market=list(row["market"] or []),
    )


def dataset_rows(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    """The dataset as rows per table; bucket order is the position in the file, as in the DuckDB warehouse."""
    return {
        "apps": [
            {"app_id": a.app_id, "name": a.name, "category": a.category, "aliases": a.aliases, "reach": a.reach,
             "market": a.market}
            for a in dataset.apps
        ],
        "app_audience": [
            {"app_id": r.app_id, "dimension": r.dimension, "bucket": r.bucket, "share": r.share, "ord": i}
            for i, r in enumerate(dataset.audience)
        ],
        "population": [
            {"dimension": r.dimension, "bucket": r.bucket, "share": r.share, "ord": i}
            for i, r in enumerate(dataset.population)
        ],
        "segments": [
            dict(zip(SEGMENT_COLUMNS, (s.id, s.name, s.description, s.size, s.aliases, s.market, s.name_zh_tw,
                                       s.name_zh_cn, s.description_zh_tw, s.description_zh_cn), strict=True))
            for s in dataset.segments
        ],
        "segment_apps": [
            {"segment_id": r.segment_id, "app_id": r.app_id, "confidence": r.confidence, "penetration": r.penetration}
            for r in dataset.segment_apps
        ],
        "segment_audience": [
            {"segment_id": r.segment_id, "dimension": r.dimension, "bucket": r.bucket, "share": r.share, "n": r.n,
             "ord": i}
            for i, r in enumerate(dataset.segment_audience)
        ],
        "categories": [c.model_dump() for c in dataset.categories],
        "app_reach": [{"app_id": r.app_id, "market": r.market, "reach": r.reach} for r in dataset.app_reach],
    }


def ndjson(rows: Sequence[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
