"""What operators see: one JSON log line per event, naming the request, and Prometheus metrics on /metrics.

The bot runs for real (`persona-bot serve`) against the local Slack stand-in and the local OpenAI-compatible
server; the assertions read its stderr and scrape its /metrics like a log pipeline and Prometheus would.
"""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.logging_setup import JsonFormatter, RequestContextFilter, TextFormatter, redact
from bot.request_context import begin, run_isolated
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.redis_server import RedisServer
from tests.support.slack_harness import BOT_TOKEN, SIGNING_SECRET, Harness, is_card, llm_env, running_bot, wait_url

API_KEY = "sk-observability-secret-0123456789"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path,
        llm: FakeOpenAIServer) -> Iterator[Harness]:
    env = llm_env(llm.url, API_KEY)
    with running_bot(tmp_path_factory.mktemp("observability"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


def log_lines(h: Harness) -> list[dict[str, Any]]:
    lines = [line for line in h.logs().splitlines() if line.strip()]
    # Every line the app writes is one JSON object; a stray print or a bare traceback would fail here.
    return [json.loads(line) for line in lines if not line.startswith("[")]  # the server's own start-up lines


def wait_logged(h: Harness, event: str, user: str, timeout: float = 10.0) -> dict[str, Any]:
    """The log line of `event` for `user`; it is written just after the card is shown, so it may lag a little."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in log_lines(h) if e["event"] == event and e.get("user_id") == user]
        if found:
            assert len(found) == 1, found
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {event} logged for {user}:\n{h.logs()[-2000:]}")
        time.sleep(0.05)


def scrape(h: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"{h.url}/metrics", timeout=5) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def metric(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def slash(h: Harness, text: str, *, user: str, name: str) -> dict[str, Any]:
    url = h.standin.response_url(name, channel_id="C1", user_id=user)
    assert h.sender.slash_command(text, user_id=user, response_url=url).status == 200
    return wait_url(h, name, lambda p: is_card(p) or "persona_error" in json.dumps(p.get("blocks", [])))


# --- logs --------------------------------------------------------------------------------------------------------


def test_each_request_logs_its_ids_latency_and_outcome(bot: Harness) -> None:
    slash(bot, "fitness enthusiasts", user="U0LOG", name="log")
    entry = wait_logged(bot, "persona_request", "U0LOG")
    lines = log_lines(bot)
    assert entry["outcome"] == "llm" and entry["team_id"] == "T0001" and entry["kind"] == "command"
    assert entry["latency_ms"] > 0
    # The ack's access line and the lazy listener's outcome line share the request id.
    http = [e for e in lines if e["event"] == "http_request" and e.get("request_id") == entry["request_id"]]
    assert len(http) == 1 and http[0]["status"] == 200 and http[0]["user_id"] == "U0LOG"


def test_distinct_requests_get_distinct_ids(bot: Harness) -> None:
    slash(bot, "fitness enthusiasts", user="U0IDA", name="id-a")
    slash(bot, "fitness enthusiasts", user="U0IDB", name="id-b")
    first = wait_logged(bot, "persona_request", "U0IDA")
    second = wait_logged(bot, "persona_request", "U0IDB")
    assert first["request_id"] != second["request_id"]


def test_failures_are_logged_with_their_outcome_and_no_secret(bot: Harness, llm: FakeOpenAIServer) -> None:
    # A server that echoes the key back in its error message, as misconfigured proxies do.
    llm.enqueue(Reply.error(401, f"Incorrect API key provided: {API_KEY}", type="invalid_request_error"))
    card = slash(bot, "pet owners", user="U0FAIL", name="fail")
    assert is_card(card)  # the offline draft with a note
    assert wait_logged(bot, "persona_request", "U0FAIL")["outcome"] == "fallback"
    text = bot.logs()
    for secret in (API_KEY, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in text


def test_a_401_is_logged_without_processing(bot: Harness) -> None:
    body, content_type = bot.sender.build_slash_command("fitness enthusiasts")
    assert bot.sender.post(body, content_type, sign=False).status == 401
    rejected = [e for e in log_lines(bot) if e["event"] == "http_request" and e["status"] == 401]
    assert rejected and "user_id" not in rejected[-1]  # nothing from an unverified body is trusted, even in logs


def test_json_formatter_carries_context_extras_and_errors() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("test.observability.json")
    logger.addHandler(handler)
    logger.propagate = False

    def work() -> None:
        begin("req123", team_id="T9", user_id="U9")
        try:
            raise RuntimeError("token xoxb-1234567890-abcdef leaked")
        except RuntimeError:
            logger.exception("thing_failed", extra={"attempt": 2, "detail": {"key": "sk-abcdefghijklmnop"}})

    run_isolated(work)
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "thing_failed" and entry["level"] == "error"
    assert entry["request_id"] == "req123" and entry["team_id"] == "T9" and entry["attempt"] == 2
    assert entry["detail"] == {"key": "[redacted]"}
    assert "xoxb-1234567890" not in stream.getvalue() and "RuntimeError" in entry["error"]
    assert "Traceback" in entry["traceback"]


def test_text_format_is_one_readable_line() -> None:
    record = logging.LogRecord("bot.x", logging.WARNING, __file__, 1, "cache_down", None, None)
    record.error = "ConnectionError"
    assert TextFormatter().format(record) == "WARNING bot.x: cache_down error=ConnectionError"


@pytest.mark.parametrize("secret", ["xoxb-123456-abcdef", "xapp-1-A0-123-abc", "xoxp-99999999-x",
                                    "sk-proj-abcdefgh12345678", "xoxe.xoxp-1-abcdefgh"])
def test_tokens_are_redacted(secret: str) -> None:
    assert secret not in redact(f"before {secret} after")
    assert redact("a plain sentence about sk- prefixes and xoxb") == "a plain sentence about sk- prefixes and xoxb"


# --- metrics -----------------------------------------------------------------------------------------------------


def test_metrics_count_requests_llm_calls_tokens_and_cache_hits(bot: Harness, llm: FakeOpenAIServer) -> None:
    before = scrape(bot)
    slash(bot, "music lovers", user="U0MA", name="metrics-a")
    slash(bot, "music lovers", user="U0MB", name="metrics-b")  # the same persona: a cache hit
    slash(bot, "no such segment at all", user="U0MC", name="metrics-c")
    for user in ("U0MA", "U0MB", "U0MC"):  # counted when the outcome is logged, just after the card
        wait_logged(bot, "persona_request", user)
    after = scrape(bot)

    def grew(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert grew("persona_http_requests_total", path="/slack/events", status="200") == 3
    assert grew("persona_http_request_seconds_count", path="/slack/events") == 3
    assert grew("persona_slack_requests_total", kind="command", outcome="handled") == 3
    assert grew("persona_requests_total", outcome="llm") == 1
    assert grew("persona_requests_total", outcome="cached") == 1
    assert grew("persona_requests_total", outcome="unknown_segment") == 1
    assert grew("persona_request_seconds_count", outcome="llm") == 1
    assert grew("persona_llm_calls_total", purpose="persona", outcome="ok") == 1
    assert grew("persona_llm_tokens_total", kind="prompt") > 0
    assert grew("persona_llm_tokens_total", kind="completion") > 0
    assert grew("persona_cache_lookups_total", result="hit") == 1
    # Process metrics come with the client library: memory and CPU of the bot.
    assert metric(after, "process_resident_memory_bytes") > 0


def test_metric_labels_never_carry_user_text(bot: Harness) -> None:
    slash(bot, "<!channel> DROP TABLE apps; --", user="U0LABEL", name="label")
    with urllib.request.urlopen(f"{bot.url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    assert "DROP TABLE" not in text and "U0LABEL" not in text and "T0001" not in text


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path,
                redis_server: RedisServer) -> Iterator[Harness]:
    with running_bot(tmp_path_factory.mktemp("workers"), sample_warehouse_file,
                     # The work stays in the server's processes, whose metrics this test adds up.
                     env_extra={"REDIS_URL": redis_server.url, "PERSONA_JOBS": "in-process"},
                     args=["--workers", "2", "--threads", "4"]) as h:
        yield h


def test_metrics_add_up_across_server_workers(two_workers: Harness) -> None:
    h = two_workers
    for i in range(8):
        slash(h, "fitness enthusiasts", user=f"U0W{i}", name=f"worker-{i}")
    for i in range(8):
        wait_logged(h, "persona_request", f"U0W{i}")
    # Whichever worker answers the scrape, it reports all eight requests.
    for _ in range(4):
        samples = scrape(h)
        assert metric(samples, "persona_http_requests_total", path="/slack/events", status="200") == 8
        assert metric(samples, "persona_requests_total", outcome="offline") \
            + metric(samples, "persona_requests_total", outcome="cached") == 8
