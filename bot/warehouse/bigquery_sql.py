"""BigQuery's side of the warehouse contract: table layout, the bot's read queries and the DDL, as constant texts.

Read queries take user input only as named parameters (`@segment`, `@app_ids`); the project and dataset names come
from configuration and are validated here before they appear in DDL or load scripts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from google.cloud import bigquery

from bot.errors import WarehouseError

DATASET_RE = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
# Project ids: lowercase letters, digits and hyphens, starting with a letter; legacy domain-scoped ids carry a
# "example.com:" prefix. Length is left loose so local test projects ("test") pass.
PROJECT_RE = re.compile(r"^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{0,61}[a-z0-9]$")

SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id", "name", "description", "size", "aliases", "market", "name_zh_tw", "name_zh_cn",
    "description_zh_tw", "description_zh_cn",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "apps": ("app_id", "name", "category", "aliases", "reach", "market"),
    "app_audience": ("app_id", "dimension", "bucket", "share", "ord"),
    "population": ("dimension", "bucket", "share", "ord"),
    "segments": SEGMENT_COLUMNS,
    "segment_apps": ("segment_id", "app_id", "confidence", "penetration"),
    "segment_audience": ("segment_id", "dimension", "bucket", "share", "n", "ord"),
    "categories": ("category", "label_en", "label_zh_tw", "label_zh_cn"),
    "app_reach": ("app_id", "market", "reach"),
}
TABLES: tuple[str, ...] = tuple(COLUMNS)

# --- queries -------------------------------------------------------------------------------------------------------
# Table names are resolved against the job's default dataset; nothing is ever formatted into these texts.

LIST_SEGMENTS = """
SELECT s.segment_id, s.name, s.description, s.size, s.aliases, s.market, s.name_zh_tw, s.name_zh_cn,
       s.description_zh_tw, s.description_zh_cn, top.names AS top_apps
FROM segments AS s
LEFT JOIN (
    SELECT sa.segment_id, ARRAY_AGG(a.name ORDER BY sa.confidence DESC, a.app_id) AS names
    FROM segment_apps AS sa
    JOIN apps AS a ON a.app_id = sa.app_id
    GROUP BY sa.segment_id
) AS top ON top.segment_id = s.segment_id
ORDER BY s.segment_id
"""

GET_SEGMENT = """
SELECT segment_id, name, description, size, aliases, market, name_zh_tw, name_zh_cn, description_zh_tw,
       description_zh_cn
FROM segments
WHERE segment_id = @segment
"""

# One round trip for everything a persona needs about a segment's apps: the audience of each app travels as an
# array of structs. Struct fields are aliased explicitly: unnamed fields are ambiguous to readers of the result.
# The app's reach in the segment's market is the baseline of its index; a segment without a market is compared
# with the whole population.
SEGMENT_APPS = """
WITH seg AS (
    SELECT sa.app_id, sa.confidence, sa.penetration, s.market AS segment_market
    FROM segment_apps AS sa
    JOIN segments AS s ON s.segment_id = sa.segment_id
    WHERE sa.segment_id = @segment
),
aud AS (
    SELECT x.app_id,
           ARRAY_AGG(STRUCT(x.dimension AS dimension, x.bucket AS bucket, x.share AS share)
                     ORDER BY x.dimension, x.ord) AS audience
    FROM app_audience AS x
    JOIN seg ON seg.app_id = x.app_id
    GROUP BY x.app_id
)
SELECT a.app_id, a.name, a.category, a.aliases, a.reach, a.market, seg.confidence, seg.penetration,
       IF(seg.segment_market IS NULL, a.reach, r.reach) AS market_reach, aud.audience
FROM seg
JOIN apps AS a ON a.app_id = seg.app_id
LEFT JOIN app_reach AS r ON r.app_id = seg.app_id AND r.market = seg.segment_market
LEFT JOIN aud ON aud.app_id = seg.app_id
ORDER BY seg.confidence DESC, a.app_id
"""

SEGMENT_AUDIENCE = """
SELECT dimension, bucket, share, n
FROM segment_audience
WHERE segment_id = @segment
ORDER BY dimension, ord
"""

CATEGORIES = "SELECT category, label_en, label_zh_tw, label_zh_cn FROM categories ORDER BY category"

CATALOG = "SELECT app_id, name, category, aliases, reach, market FROM apps ORDER BY app_id"

AUDIENCE = """
SELECT app_id, dimension, bucket, share
FROM app_audience
WHERE app_id IN UNNEST(@app_ids)
ORDER BY app_id, dimension, ord
"""

POPULATION = "SELECT dimension, bucket, share FROM population ORDER BY dimension, ord"

def segment_param(value: str) -> list[bigquery.ScalarQueryParameter]:
    return [bigquery.ScalarQueryParameter("segment", "STRING", value)]


# Name -> (SQL, representative parameters) of every query the bot runs, for dry-run cost estimates.
QUERIES: dict[str, tuple[str, Callable[[], list[Any]]]] = {
    "list_segments": (LIST_SEGMENTS, list),
    "get_segment": (GET_SEGMENT, lambda: segment_param("seg_001")),
    "segment_apps": (SEGMENT_APPS, lambda: segment_param("seg_001")),
    "segment_audience": (SEGMENT_AUDIENCE, lambda: segment_param("seg_001")),
    "categories": (CATEGORIES, list),
    "catalog": (CATALOG, list),
    "audience": (AUDIENCE, lambda: [bigquery.ArrayQueryParameter("app_ids", "STRING", ["app"])]),
    "population": (POPULATION, list),
}



# --- names -------------------------------------------------------------------------------------------------------


def schema_sql() -> str:
    """The DDL kept in the repository, with its `{dataset}` placeholder."""
    return (resources.files("bot.warehouse") / "bigquery_schema.sql").read_text(encoding="utf-8")


def qualified_dataset(dataset: str, default_project: str | None) -> tuple[str, str]:
    """Split and validate "project.dataset" (or a bare dataset in the default project) from configuration."""
    project, _, name = dataset.rpartition(".")
    project = project or (default_project or "")
    if not DATASET_RE.match(name):
        raise WarehouseError(
            f"The BigQuery dataset name {name!r} is invalid: use letters, digits and underscores "
            "(PERSONA_BIGQUERY_DATASET)."
        )
    if not PROJECT_RE.match(project):
        raise WarehouseError(
            f"The Google Cloud project id {project!r} is invalid: use lowercase letters, digits and hyphens, "
            "starting with a letter (PERSONA_BIGQUERY_PROJECT)."
        )
    return project, name
