"""The BigQuery warehouse against the local emulator: tables, loads, errors, cost guard, typeahead search.

Tests that need no server (error wording, name validation, settings) run everywhere; the rest use the emulator.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import google.auth.credentials
import google.auth.exceptions
import pytest
from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.cloud import bigquery

from bot.config import Settings
from bot.dataset import Dataset, SegmentAppRow, read_dataset, sample_dataset_dir
from bot.errors import WarehouseError
from bot.warehouse.bigquery import (
    COLUMNS,
    QUERIES,
    TABLES,
    BigQueryWarehouse,
    describe_error,
    schema_sql,
)
from tests.support.bq_emulator import PROJECT, bq_client, bq_endpoint, fresh_dataset, make_client  # noqa: F401
from tests.support.dataset_factory import APPS, SEGMENT_APPS, SEGMENTS, population_audience, write_dataset

pytestmark = pytest.mark.bigquery

HOSTILE = ["'; DROP TABLE segments; --", "\\'; DELETE FROM apps WHERE TRUE; --", '"', "`", "%", "\\", "健身\x00"]


class RecordingClient(bigquery.Client):
    """The real client, keeping every query job it starts so a test can look at what was sent."""

    def __init__(self, endpoint: str):
        super().__init__(
            project=PROJECT,
            credentials=google.auth.credentials.AnonymousCredentials(),
            client_options={"api_endpoint": endpoint},
        )
        self.jobs: list[bigquery.QueryJob] = []

    def query(self, query: str, *args: Any, **kwargs: Any) -> bigquery.QueryJob:  # type: ignore[override]
        job = super().query(query, *args, **kwargs)
        self.jobs.append(job)
        return job


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _warehouse(client: bigquery.Client, dataset: str, **kwargs: Any) -> BigQueryWarehouse:
    # A bounded retry: an emulator error must fail the test quickly, not after minutes of retries.
    kwargs.setdefault("retry", Retry(timeout=5))
    kwargs.setdefault("timeout", 20)
    return BigQueryWarehouse(client, dataset, **kwargs)


def _tables(client: bigquery.Client, dataset: str) -> set[str]:
    return {t.table_id for t in client.list_tables(dataset)}


@pytest.fixture(scope="module")
def handmade(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return read_dataset(write_dataset(tmp_path_factory.mktemp("handmade")))


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return read_dataset(sample_dataset_dir())


# --- tables and loading ------------------------------------------------------------------------------------------


def test_init_creates_dataset_and_tables_and_can_repeat(bq_client: bigquery.Client) -> None:  # noqa: F811
    name = f"init_{uuid.uuid4().hex[:10]}"  # does not exist yet
    wh = _warehouse(bq_client, name)
    wh.init_tables()
    wh.init_tables()
    assert _tables(bq_client, name) == set(TABLES)
    audience = {f.name: f.field_type for f in bq_client.get_table(f"{name}.app_audience").schema}
    assert audience == {"app_id": "STRING", "dimension": "STRING", "bucket": "STRING", "share": "FLOAT",
                        "ord": "INTEGER"}
    assert wh.list_segments() == [] and wh.population() == {} and wh.catalog() == []


def test_load_replaces_everything_and_leaves_no_staging_tables(
    bq_client: bigquery.Client, handmade: Dataset, tmp_path: Path  # noqa: F811
) -> None:
    name = fresh_dataset(bq_client, "load")
    wh = _warehouse(bq_client, name)
    wh.load(handmade)  # no init first: a load creates what it needs
    assert [s.id for s in wh.list_segments()] == ["s1", "s2"]
    smaller = read_dataset(
        write_dataset(
            tmp_path / "smaller",
            {
                "segments.csv": [r for r in SEGMENTS if r[0] != "s1"],
                "segment_apps.csv": [r for r in SEGMENT_APPS if r[0] != "s1"],
                "apps.csv": [r for r in APPS if r[0] != "keep"],
                "app_audience.csv": [["app_id", "dimension", "bucket", "share"]],
            },
        )
    )
    wh.load(smaller)
    assert [s.id for s in wh.list_segments()] == ["s2"]
    assert wh.segment_apps("s1") == []
    assert [a.app_id for a in wh.catalog()] == ["meituan", "nodata", "xhs"]
    assert wh.audience(["xhs", "keep"]) == {}
    assert wh.population() == population_audience(handmade)
    assert _tables(bq_client, name) == set(TABLES)


def test_a_failed_load_keeps_the_previous_content(
    bq_client: bigquery.Client, handmade: Dataset, tmp_path: Path  # noqa: F811
) -> None:
    name = fresh_dataset(bq_client, "atomic")
    wh = _warehouse(bq_client, name)
    wh.load(handmade)
    before = (wh.list_segments(), wh.catalog(), wh.audience(["keep", "xhs"]), wh.population())
    other = read_dataset(write_dataset(tmp_path / "other", {"apps.csv": [*APPS, ["extra", "Extra", "news", "", ""]]}))
    # A NULL in a NOT NULL column of the last table: every table before it has already been replaced inside the
    # transaction when the statement fails.
    other.segment_apps.append(SegmentAppRow("s2", "extra", None))  # type: ignore[arg-type]
    with pytest.raises(WarehouseError) as err:
        wh.load(other)
    assert "\n" not in str(err.value)
    assert (wh.list_segments(), wh.catalog(), wh.audience(["keep", "xhs"]), wh.population()) == before
    assert _tables(bq_client, name) == set(TABLES)


# --- errors ------------------------------------------------------------------------------------------------------


def _friendly(err: pytest.ExceptionInfo[WarehouseError]) -> str:
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message and "http" not in message.lower()
    assert err.value.__cause__ is None
    return message


def test_unknown_dataset_is_a_friendly_error(bq_client: bigquery.Client) -> None:  # noqa: F811
    wh = _warehouse(bq_client, "no_such_dataset")
    for call in (wh.list_segments, lambda: wh.get_segment("s1"), lambda: wh.segment_apps("s1"), wh.catalog):
        with pytest.raises(WarehouseError) as err:
            call()
        message = _friendly(err)
        # The emulator answers 403 here, as BigQuery does without permission; BigQuery says 404 otherwise.
        assert f"{PROJECT}.no_such_dataset" in message
        assert "not found" in message or "does not exist" in message


def test_missing_tables_point_to_init(bq_client: bigquery.Client) -> None:  # noqa: F811
    wh = _warehouse(bq_client, fresh_dataset(bq_client, "empty"))
    with pytest.raises(WarehouseError) as err:
        wh.catalog()
    message = _friendly(err)
    assert "persona-bot warehouse init" in message and "apps" in message


def test_a_rejected_query_is_a_friendly_error(bq_client: bigquery.Client) -> None:  # noqa: F811
    name = fresh_dataset(bq_client, "bad")
    # A table of the right name with the wrong columns: BigQuery rejects the query (400 invalidQuery).
    bq_client.query(f"CREATE TABLE `{PROJECT}.{name}.segments` (segment_id STRING)").result(timeout=10)
    wh = _warehouse(bq_client, name)
    with pytest.raises(WarehouseError) as err:
        wh.get_segment("s1")
    assert _friendly(err).startswith("BigQuery rejected the get_segment request:")


# --- cost guard --------------------------------------------------------------------------------------------------


def test_every_job_carries_the_cost_guard_and_parameters(bq_endpoint: str, handmade: Dataset) -> None:  # noqa: F811
    client = RecordingClient(bq_endpoint)
    name = fresh_dataset(client, "guard")
    wh = _warehouse(client, name, maximum_bytes_billed=123_456_789, timeout=12)
    wh.load(handmade)
    hostile = HOSTILE[0]
    wh.list_segments()
    wh.get_segment(hostile)
    wh.segment_apps(hostile)
    wh.audience([hostile, "keep"])
    wh.catalog()
    assert len(client.jobs) >= 7
    for job in client.jobs:
        assert job.maximum_bytes_billed == 123_456_789
        assert int(job.configuration.job_timeout_ms) >= 12_000  # int64 travels as a JSON string
        assert job.labels["app"] == "persona-bot"
        # User text travels only as a parameter value.
        assert hostile not in job.query
    reads = [j for j in client.jobs if j.labels["query"] != "load"]
    assert {int(j.configuration.job_timeout_ms) for j in reads} == {12_000}
    assert {j.labels["query"] for j in reads} >= {"list_segments", "get_segment", "segment_apps", "audience"}
    for job in reads:
        assert job.default_dataset == bigquery.DatasetReference(PROJECT, name)
    by_name = {j.labels["query"]: j for j in reads}
    assert by_name["get_segment"].query_parameters == [bigquery.ScalarQueryParameter("segment", "STRING", hostile)]
    assert by_name["audience"].query_parameters == [
        bigquery.ArrayQueryParameter("app_ids", "STRING", [hostile, "keep"])
    ]


def test_segment_apps_is_one_query(bq_endpoint: str, handmade: Dataset) -> None:  # noqa: F811
    client = RecordingClient(bq_endpoint)
    wh = _warehouse(client, fresh_dataset(client, "one"))
    wh.load(handmade)
    client.jobs.clear()
    apps = wh.segment_apps("s1")
    assert [a.app.app_id for a in apps] == ["keep", "xhs", "nodata"] and apps[0].audience
    assert len(client.jobs) == 1


def test_dry_run_estimates(bq_endpoint: str, handmade: Dataset) -> None:  # noqa: F811
    client = RecordingClient(bq_endpoint)
    wh = _warehouse(client, fresh_dataset(client, "dry"))
    wh.load(handmade)
    client.jobs.clear()
    estimates = wh.dry_run_estimates()
    assert [name for name, _ in estimates] == list(QUERIES)
    # The emulator validates the SQL of a dry run but reports 0 bytes; BigQuery reports the bytes it would scan.
    assert all(isinstance(n, int) and n >= 0 for _, n in estimates)
    assert len(client.jobs) == len(QUERIES)
    assert all(job.dry_run and job.maximum_bytes_billed == wh.maximum_bytes_billed for job in client.jobs)


def test_dry_run_reports_a_broken_query(bq_client: bigquery.Client) -> None:  # noqa: F811
    wh = _warehouse(bq_client, fresh_dataset(bq_client, "drybad"))
    with pytest.raises(WarehouseError) as err:
        wh.dry_run_estimates()  # no tables yet
    assert "persona-bot warehouse init" in _friendly(err)


# --- no server needed --------------------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    message = describe_error(
        exc, what="segment_apps", dataset="proj.persona", location="asia-east1",
        maximum_bytes_billed=1_000_000_000, timeout=30.0,
    )
    assert "\n" not in message
    return message


def test_error_wording() -> None:
    limit = gexc.BadRequest(
        "Query exceeded limit for bytes billed: 1000000000. 2000000000 or higher required.",
        errors=[{"reason": "bytesBilledLimitExceeded", "message": "..."}],
    )
    assert "1,000,000,000 bytes" in _describe(limit) and "PERSONA_BIGQUERY_MAX_BYTES_BILLED" in _describe(limit)
    denied = gexc.Forbidden(
        "Access Denied: Project proj: User does not have bigquery.jobs.create permission in project proj.",
        errors=[{"reason": "accessDenied"}],
    )
    assert "Permission denied" in _describe(denied) and "bigquery.jobs.create" in _describe(denied)
    no_dataset = gexc.NotFound("Not found: Dataset proj:persona was not found in location asia-east1")
    assert "dataset proj.persona was not found in location asia-east1" in _describe(no_dataset)
    no_table = gexc.NotFound("Not found: Table proj:persona.apps was not found in location asia-east1")
    assert "proj:persona.apps" in _describe(no_table) and "warehouse init" in _describe(no_table)
    for slow in (TimeoutError(), gexc.DeadlineExceeded("slow"), gexc.RetryError("gave up", cause=None)):
        assert "did not answer the segment_apps request within 30 s" in _describe(slow)
    assert "unavailable" in _describe(gexc.ServiceUnavailable("backend down"))
    kept_failing = gexc.RetryError("Timeout of 30.0s exceeded", cause=gexc.InternalServerError("boom"))
    assert "unavailable right now (HTTP 500)" in _describe(kept_failing)
    assert "quota" in _describe(gexc.TooManyRequests("slow down"))
    assert "GOOGLE_APPLICATION_CREDENTIALS" in _describe(google.auth.exceptions.DefaultCredentialsError("none"))
    token = "ya29.a0-secret-token"
    assert token not in _describe(google.auth.exceptions.RefreshError(f"invalid_grant {token}"))
    long = gexc.BadRequest("Syntax error:\n" + "x" * 1000)
    assert len(_describe(long)) < 300


def test_names_from_configuration_are_validated() -> None:
    client = make_client("http://127.0.0.1:9")  # never contacted: validation comes first
    ok = BigQueryWarehouse(client, "other-project.persona_v2")
    assert (ok.project, ok.dataset_id, ok.dataset) == ("other-project", "persona_v2", "other-project.persona_v2")
    assert BigQueryWarehouse(client, "persona").dataset == f"{PROJECT}.persona"
    assert BigQueryWarehouse(client, "example.com:proj-1.ds").project == "example.com:proj-1"
    for bad in ("persona-v2", "ds`; DROP", "proj.ds.extra", "Bad_Project.ds", "-proj.ds", "", "proj."):
        with pytest.raises(WarehouseError):
            BigQueryWarehouse(client, bad)


def test_schema_file_matches_the_load_columns() -> None:
    ddl = schema_sql()
    for table, columns in COLUMNS.items():
        body = re.search(r"CREATE TABLE IF NOT EXISTS `\{dataset\}\." + table + r"` \((.*?)\n\)", ddl, re.S)
        assert body, table
        names = [line.split()[0] for line in body.group(1).splitlines() if line.strip() and
                 not line.strip().startswith("--")]
        assert tuple(names) == columns, table


def test_from_settings_without_credentials_is_friendly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A key file that does not exist: the credential lookup fails at once, without probing any metadata server.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    settings = Settings(
        warehouse="bigquery", bigquery_project="proj", bigquery_dataset="persona", bigquery_location="asia-east1",
    )
    with pytest.raises(WarehouseError) as err:
        BigQueryWarehouse.from_settings(settings)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(err.value)
    with pytest.raises(WarehouseError) as err:
        BigQueryWarehouse.from_settings(settings.model_copy(update={"bigquery_dataset": None}))
    assert "PERSONA_BIGQUERY_DATASET" in str(err.value)
