"""The production warehouse: BigQuery through google-cloud-bigquery, with the same answers as the DuckDB one.

Read queries are constant SQL texts with named parameters (`@segment`, `@app_ids`, ...) run against the configured
dataset as the job's default dataset, so user input only ever travels as a parameter value. The project and dataset
names come from configuration and are validated before they appear in DDL or load scripts. Every job carries a
bytes-billed ceiling and a server-side timeout; only transient errors are retried, within the same time budget.

A load stages each table with a load job, checks the row counts, then swaps all the tables in one multi-statement
transaction: queries see either the old or the new content, never a mix (see docs/bigquery.md for what this does
and does not guarantee).
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import google.auth.credentials
import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc
from google.api_core.retry import Retry, if_transient_error
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

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
from bot.warehouse.bigquery_errors import describe_error, one_line
from bot.warehouse.bigquery_rows import app_from_row, dataset_rows, ndjson, segment_from_row
from bot.warehouse.bigquery_sql import (
    AUDIENCE,
    CATALOG,
    CATEGORIES,
    COLUMNS,
    GET_SEGMENT,
    LIST_SEGMENTS,
    POPULATION,
    QUERIES,
    SEGMENT_APPS,
    SEGMENT_AUDIENCE,
    TABLES,
    qualified_dataset,
    schema_sql,
    segment_param,
)

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.dataset import Dataset

log = logging.getLogger(__name__)

TOP_APPS_IN_SUMMARY = 5
DEFAULT_MAXIMUM_BYTES_BILLED = 1_000_000_000
DEFAULT_TIMEOUT = 30.0
# A load moves whole tables: it gets at least this long, whatever the per-query timeout.
MIN_LOAD_TIMEOUT = 300.0
# Leftover staging tables from an interrupted load disappear by themselves after this.
STAGING_EXPIRATION_HOURS = 24

# --- the warehouse -------------------------------------------------------------------------------------------------


class BigQueryWarehouse(Warehouse):
    def __init__(
        self,
        client: bigquery.Client,
        dataset: str,
        *,
        maximum_bytes_billed: int = DEFAULT_MAXIMUM_BYTES_BILLED,
        timeout: float = DEFAULT_TIMEOUT,
        retry: Retry | None = None,
        location: str | None = None,
    ):
        """`dataset` is "project.dataset" or a dataset of the client's project; it comes from configuration."""
        self._client = client
        self.project, self.dataset_id = qualified_dataset(dataset, client.project)
        self.dataset = f"{self.project}.{self.dataset_id}"
        self.location = location or client.location
        self.maximum_bytes_billed = int(maximum_bytes_billed)
        self.timeout = float(timeout)
        self.load_timeout = max(self.timeout, MIN_LOAD_TIMEOUT)
        # Transient failures (HTTP 429/500/503, dropped connections) are retried within the same time budget as
        # the query itself; anything else (bad SQL, permission, not found) fails at once.
        self._retry = retry or Retry(
            predicate=if_transient_error, initial=0.5, maximum=5.0, multiplier=2.0, timeout=self.timeout
        )
        # The client's default job retry keeps re-running failed jobs for up to 40 minutes; bound it.
        self._job_retry = DEFAULT_JOB_RETRY.with_timeout(self.timeout)
        self._dataset_ref = bigquery.DatasetReference(self.project, self.dataset_id)

    @classmethod
    def from_settings(cls, settings: Settings) -> BigQueryWarehouse:
        """A warehouse on the configured dataset, with Google's usual credentials (ADC or a service account)."""
        if not settings.bigquery_dataset:
            raise WarehouseError("PERSONA_WAREHOUSE=bigquery needs PERSONA_BIGQUERY_DATASET (and usually a project).")
        try:
            if settings.bigquery_emulator:
                # A local emulator takes any project and checks no credentials; Google's lookup would only fail.
                client = bigquery.Client(
                    project=settings.bigquery_project or "emulator",
                    location=settings.bigquery_location,
                    credentials=google.auth.credentials.AnonymousCredentials(),
                    client_options={"api_endpoint": settings.bigquery_emulator},
                )
            else:
                client = bigquery.Client(project=settings.bigquery_project, location=settings.bigquery_location)
        except google.auth.exceptions.GoogleAuthError as exc:
            raise WarehouseError(
                describe_error(
                    exc, what="connect", dataset=settings.bigquery_dataset, location=settings.bigquery_location,
                    maximum_bytes_billed=settings.bigquery_max_bytes_billed, timeout=settings.bigquery_timeout,
                )
            ) from None
        except OSError:
            # Raised by the client when neither the settings nor the credentials name a project.
            raise WarehouseError(
                "No Google Cloud project for BigQuery: set PERSONA_BIGQUERY_PROJECT."
            ) from None
        return cls(
            client,
            settings.bigquery_dataset,
            maximum_bytes_billed=settings.bigquery_max_bytes_billed,
            timeout=settings.bigquery_timeout,
            location=settings.bigquery_location,
        )

    # --- plumbing ---

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except WarehouseError:
            raise
        except (gexc.GoogleAPICallError, gexc.RetryError, google.auth.exceptions.GoogleAuthError,
                requests.RequestException, TimeoutError) as exc:
            # Operators get the server's words in the log; the user gets one friendly line.
            log.warning("BigQuery %s failed: %s: %s", what, type(exc).__name__, one_line(str(exc), 500))
            raise WarehouseError(
                describe_error(
                    exc, what=what, dataset=self.dataset, location=self.location,
                    maximum_bytes_billed=self.maximum_bytes_billed, timeout=self.timeout,
                )
            ) from None

    def _job_config(
        self, params: Sequence[Any], *, name: str, timeout: float, dry_run: bool = False
    ) -> bigquery.QueryJobConfig:
        return bigquery.QueryJobConfig(
            query_parameters=list(params),
            default_dataset=self._dataset_ref,
            maximum_bytes_billed=self.maximum_bytes_billed,
            # The server cancels the job too, so an abandoned query stops costing.
            job_timeout_ms=int(timeout * 1000),
            dry_run=dry_run,
            use_query_cache=not dry_run,
            labels={"app": "persona-bot", "query": name},
        )

    def _start(
        self, name: str, sql: str, params: Sequence[Any] = (), *, dry_run: bool = False, timeout: float | None = None
    ) -> bigquery.QueryJob:
        return self._client.query(
            sql,
            job_config=self._job_config(params, name=name, timeout=timeout or self.timeout, dry_run=dry_run),
            location=self.location,
            retry=self._retry,
            timeout=self.timeout,  # of each HTTP request
            # With any job_retry here the client wraps the insert in its own 10-minute retry, so a warehouse that
            # went away would hold the user's request for 10 minutes. `result()` below re-runs failed jobs within
            # our own bound instead.
            job_retry=None,
        )

    def _rows(self, name: str, sql: str, params: Sequence[Any] = ()) -> list[bigquery.Row]:
        with self._errors(name):
            job = self._start(name, sql, params)
            return list(job.result(timeout=self.timeout, retry=self._retry, job_retry=self._job_retry))

    # --- reads ---

    def list_segments(self) -> list[SegmentSummary]:
        return [
            SegmentSummary(
                **segment_from_row(row).model_dump(), top_apps=list(row["top_apps"] or [])[:TOP_APPS_IN_SUMMARY]
            )
            for row in self._rows("list_segments", LIST_SEGMENTS)
        ]

    def get_segment(self, segment_id: str) -> SegmentInfo | None:
        rows = self._rows("get_segment", GET_SEGMENT, segment_param(segment_id))
        return segment_from_row(rows[0]) if rows else None

    def segment_apps(self, segment_id: str) -> list[SegmentApp]:
        out: list[SegmentApp] = []
        for row in self._rows("segment_apps", SEGMENT_APPS, segment_param(segment_id)):
            audience: Audience = {}
            for entry in row["audience"] or []:
                audience.setdefault(entry["dimension"], {})[entry["bucket"]] = float(entry["share"])
            out.append(
                SegmentApp(
                    app=app_from_row(row), confidence=float(row["confidence"]), audience=audience,
                    penetration=row["penetration"], market_reach=row["market_reach"],
                )
            )
        return out

    def segment_audience(self, segment_id: str) -> MeasuredAudience | None:
        rows = self._rows("segment_audience", SEGMENT_AUDIENCE, segment_param(segment_id))
        return measured_from_rows([(r["dimension"], r["bucket"], r["share"], r["n"]) for r in rows])

    def categories(self) -> list[CategoryLabels]:
        return [
            CategoryLabels(
                category=row["category"], label_en=row["label_en"], label_zh_tw=row["label_zh_tw"] or "",
                label_zh_cn=row["label_zh_cn"] or "",
            )
            for row in self._rows("categories", CATEGORIES)
        ]

    def catalog(self) -> list[CatalogApp]:
        return [app_from_row(row) for row in self._rows("catalog", CATALOG)]

    def audience(self, app_ids: list[str]) -> dict[str, Audience]:
        if not app_ids:
            return {}
        rows = self._rows(
            "audience", AUDIENCE, [bigquery.ArrayQueryParameter("app_ids", "STRING", list(app_ids))]
        )
        out: dict[str, Audience] = {}
        for row in rows:
            out.setdefault(row["app_id"], {}).setdefault(row["dimension"], {})[row["bucket"]] = float(row["share"])
        return out

    def population(self) -> Audience:
        out: Audience = {}
        for row in self._rows("population", POPULATION):
            out.setdefault(row["dimension"], {})[row["bucket"]] = float(row["share"])
        return out

    # --- tables and loading ---

    def _table(self, name: str) -> str:
        # Only names from TABLES or generated staging names reach here, inside validated project/dataset.
        return f"`{self.dataset}.{name}`"

    def _ddl(self) -> str:
        return schema_sql().replace("{dataset}", self.dataset)

    def _script(self, what: str, sql: str, timeout: float | None = None) -> None:
        job = self._start(what, sql, timeout=timeout)
        job.result(timeout=timeout or self.timeout, retry=self._retry, job_retry=self._job_retry)

    def _ensure_dataset(self) -> None:
        try:
            self._client.get_dataset(self._dataset_ref, retry=self._retry, timeout=self.timeout)
        except gexc.NotFound:
            ds = bigquery.Dataset(self._dataset_ref)
            if self.location:
                ds.location = self.location
            self._client.create_dataset(ds, exists_ok=True, retry=self._retry, timeout=self.timeout)

    def init_tables(self) -> bool:
        """Create the dataset (when missing) and the tables (CREATE TABLE IF NOT EXISTS); safe to repeat."""
        with self._errors("init"):
            self._ensure_dataset()
            self._script("init", self._ddl())
        return True

    def load(self, dataset: Dataset) -> None:
        """Replace the content of all tables with `dataset` (already validated by `read_dataset`).

        Each table is staged with a load job, the staged row counts are checked, then one transaction empties the
        live tables and copies the staged rows in. A failure at any step before the commit leaves the live tables
        as they were.
        """
        rows = dataset_rows(dataset)
        suffix = uuid.uuid4().hex[:12]
        staging = {t: f"{t}__staging_{suffix}" for t in TABLES}
        with self._errors("load"):
            self._ensure_dataset()
            try:
                self._script("load", self._ddl() + "\n" + self._staging_ddl(staging))
                self._stage(rows, staging)
                self._script("load", self._swap_sql(staging), timeout=self.load_timeout)
            finally:
                self._drop(staging.values())

    def _staging_ddl(self, staging: Mapping[str, str]) -> str:
        return "\n".join(
            f"CREATE OR REPLACE TABLE {self._table(stage)} LIKE {self._table(table)} "
            f"OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), "
            f"INTERVAL {STAGING_EXPIRATION_HOURS} HOUR));"
            for table, stage in staging.items()
        )

    def _stage(self, rows: Mapping[str, list[dict[str, Any]]], staging: Mapping[str, str]) -> None:
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            labels={"app": "persona-bot", "query": "load"},
        )
        jobs: dict[str, bigquery.LoadJob] = {}
        for table, table_rows in rows.items():
            if not table_rows:
                continue  # the staging table is already empty
            # No `size`: a resumable upload, which also streams large tables in chunks.
            jobs[table] = self._client.load_table_from_file(
                io.BytesIO(ndjson(table_rows)),
                bigquery.TableReference(self._dataset_ref, staging[table]),
                job_config=config,
                location=self.location,
                timeout=self.timeout,
            )
        # All load jobs run concurrently on the server; wait for each.
        for table, job in jobs.items():
            job.result(timeout=self.load_timeout, retry=self._retry)
            if job.output_rows != len(rows[table]):
                raise WarehouseError(
                    f"Loading {table} into BigQuery staged {job.output_rows} of {len(rows[table])} rows; "
                    "nothing was changed."
                )

    def _swap_sql(self, staging: Mapping[str, str]) -> str:
        # Without an exception handler, BigQuery rolls the whole transaction back when any statement fails.
        lines = ["BEGIN TRANSACTION;"]
        for table, stage in staging.items():
            cols = ", ".join(COLUMNS[table])
            lines.append(f"DELETE FROM {self._table(table)} WHERE TRUE;")
            lines.append(f"INSERT INTO {self._table(table)} ({cols}) SELECT {cols} FROM {self._table(stage)};")
        lines.append("COMMIT TRANSACTION;")
        return "\n".join(lines)

    def _drop(self, tables: Iterable[str]) -> None:
        for name in tables:
            try:
                self._client.delete_table(
                    bigquery.TableReference(self._dataset_ref, name),
                    not_found_ok=True,
                    retry=self._retry,
                    timeout=self.timeout,
                )
            except (gexc.GoogleAPICallError, gexc.RetryError, requests.RequestException) as exc:
                # Harmless: staging tables expire by themselves.
                log.warning("Could not drop the staging table %s: %s", name, one_line(str(exc)))

    # --- cost ---

    def dry_run_estimates(self) -> list[tuple[str, int]]:
        """Bytes each of the bot's queries would process, from BigQuery's dry run (nothing is billed)."""
        out: list[tuple[str, int]] = []
        with self._errors("check"):
            for name, (sql, params) in QUERIES.items():
                job = self._start(name, sql, params(), dry_run=True)
                out.append((name, int(job.total_bytes_processed or 0)))
        return out

    def close(self) -> None:
        self._client.close()
