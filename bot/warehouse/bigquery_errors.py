"""What a failed BigQuery job means, in one line an operator can act on (permission, dataset, table, quota, ...)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc


def one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _reasons(exc: gexc.GoogleAPICallError) -> set[str]:
    return {str(e.get("reason", "")) for e in (exc.errors or []) if isinstance(e, Mapping)}


def describe_error(
    exc: BaseException, *, what: str, dataset: str, location: str | None, maximum_bytes_billed: int, timeout: float
) -> str:
    """A one-line message for the user about a failed BigQuery call. Never a traceback, never credentials."""
    where = f"location {location}" if location else "its default location"
    if isinstance(exc, google.auth.exceptions.DefaultCredentialsError):
        return (
            "No Google credentials found for BigQuery: set GOOGLE_APPLICATION_CREDENTIALS to a service account key "
            "file, or run `gcloud auth application-default login`."
        )
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        return "The Google credentials for BigQuery were rejected or could not be refreshed; renew them."
    if isinstance(exc, gexc.RetryError) and isinstance(exc.cause, gexc.ServerError | gexc.TooManyRequests):
        # Retried until the time budget ran out: the last failure says more than the timeout does.
        exc = exc.cause
    if isinstance(exc, TimeoutError | gexc.DeadlineExceeded | gexc.RetryError | requests.Timeout):
        return (
            f"BigQuery did not answer the {what} request within {timeout:g} s; try again, "
            "or raise PERSONA_BIGQUERY_TIMEOUT."
        )
    if isinstance(exc, requests.ConnectionError):
        return "Cannot reach BigQuery (network error); check the connection and try again."
    if not isinstance(exc, gexc.GoogleAPICallError):
        return f"The BigQuery {what} request failed ({type(exc).__name__})."
    reasons = _reasons(exc)
    message = exc.message or ""
    if "bytesBilledLimitExceeded" in reasons:
        return (
            f"The {what} query would bill more than {maximum_bytes_billed:,} bytes, the configured ceiling "
            f"(PERSONA_BIGQUERY_MAX_BYTES_BILLED); raise it or check the size of the tables in {dataset}."
        )
    if reasons & {"quotaExceeded", "rateLimitExceeded"} or isinstance(exc, gexc.TooManyRequests):
        return "BigQuery quota or rate limit reached; try again in a minute."
    if isinstance(exc, gexc.Unauthorized):
        return "BigQuery rejected the credentials (unauthenticated); check GOOGLE_APPLICATION_CREDENTIALS."
    if isinstance(exc, gexc.Forbidden):
        permission = re.search(r"\bbigquery\.[A-Za-z]+\.[A-Za-z]+\b", message)
        missing = f" (missing permission {permission.group(0)})" if permission else ""
        return (
            f"Permission denied on the BigQuery dataset {dataset}{missing}, or it does not exist in {where}. "
            "The credentials need BigQuery Data Viewer on the dataset and BigQuery Job User on the project."
        )
    if isinstance(exc, gexc.NotFound):
        if re.search(r"\bdataset\b", message, re.IGNORECASE) and not re.search(r"\btable\b", message, re.I):
            return (
                f"The BigQuery dataset {dataset} was not found in {where}. Create it with "
                "`persona-bot warehouse init`, or check PERSONA_BIGQUERY_PROJECT, PERSONA_BIGQUERY_DATASET and "
                "PERSONA_BIGQUERY_LOCATION."
            )
        table = re.search(r"\btable:?\s+`?([\w.:-]+)", message, re.IGNORECASE)
        name = table.group(1) if table else f"in {dataset}"
        return (
            f"A BigQuery table is missing ({name}). Run `persona-bot warehouse init`, then "
            "`persona-bot warehouse load DIR`."
        )
    if isinstance(exc, gexc.BadRequest):
        return f"BigQuery rejected the {what} request: {one_line(message)}"
    if isinstance(exc, gexc.ServerError):
        return f"BigQuery is unavailable right now (HTTP {exc.code}); try again in a minute."
    return f"The BigQuery {what} request failed (HTTP {exc.code}): {one_line(message)}"


