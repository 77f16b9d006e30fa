"""Prometheus metrics, served on the HTTP server's `/metrics`.

With several server workers each process counts on its own; `serve` then points PROMETHEUS_MULTIPROC_DIR at a
shared directory before anything is imported, and `/metrics` adds the workers up. Labels hold only small fixed
vocabularies (never ids, user text or tokens), so the number of series stays bounded.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

# Slack gives 3 s for an ack; the buckets resolve the range that matters around it.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
# A persona takes from milliseconds (cache hit) to tens of seconds (a slow LLM).
_CARD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)

HTTP_REQUESTS = Counter("persona_http_requests", "HTTP requests by path and status", ["path", "status"])
HTTP_SECONDS = Histogram("persona_http_request_seconds", "Time to answer an HTTP request (the Slack ack)", ["path"],
                         buckets=_ACK_BUCKETS)
SLACK_REQUESTS = Counter("persona_slack_requests", "Slack requests by kind and what was done with them",
                         ["kind", "outcome"])
PERSONA_REQUESTS = Counter("persona_requests", "Persona requests by outcome", ["outcome"])
PERSONA_SECONDS = Histogram("persona_request_seconds", "Time from a persona request to its card", ["outcome"],
                            buckets=_CARD_BUCKETS)
LLM_CALLS = Counter("persona_llm_calls", "Generations sent to the language model", ["purpose", "outcome"])
LLM_TOKENS = Counter("persona_llm_tokens", "Tokens the language model reported", ["kind"])
CACHE_LOOKUPS = Counter("persona_cache_lookups", "Persona and follow-up cache lookups", ["result"])
ERRORS = Counter("persona_errors", "Failures shown to users as a friendly message", ["where"])


def render() -> tuple[bytes, str]:
    """The exposition text and its content type; summed over workers in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST

# Durable work (docs/queue.md): the web process counts what it enqueues, workers count what they run. The queue's
# depth is read from Redis when a worker's /metrics is scraped.
_AGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
JOBS_ENQUEUED = Counter("persona_jobs_enqueued", "Jobs handed to the queue, by flow", ["flow"])
JOB_RUNS = Counter("persona_job_runs", "Job runs by outcome (delivered, duplicate, retried, failed, missing)",
                   ["outcome"])
JOB_RETRIES = Counter("persona_job_retries", "Job tries that failed and were queued again with a backoff")
JOBS_FAILED = Counter("persona_jobs_failed", "Jobs that failed on every try (the user was told to try again)")
JOB_AGE = Histogram("persona_job_age_at_start_seconds", "Time from enqueueing a job to a worker starting it",
                    buckets=_AGE_BUCKETS)
JOB_SECONDS = Histogram("persona_job_run_seconds", "Time a worker spent on a job, by outcome", ["outcome"],
                        buckets=_CARD_BUCKETS)
