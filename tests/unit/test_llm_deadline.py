"""One deadline per persona: PERSONA_LLM_TIMEOUT bounds the whole generation, retries and repair included."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.llm import OpenAIWriter
from bot.llm_compat import PROFILES
from bot.service import PersonaService
from bot.store import PersonaRequest
from bot.warehouse.duckdb import DuckDBWarehouse
from tests.support.openai_server import FakeOpenAIServer, Reply

TIMEOUT = 2.0
# Generous: the point is that waits do not add up (two SDK retries used to triple the wait), not a tight SLA on a
# shared machine.
MARGIN = 2.5


@pytest.fixture(autouse=True)
def _fresh_profiles() -> Iterator[None]:
    PROFILES.clear()
    yield
    PROFILES.clear()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers: not even /v1/models."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    # Never accepted: the kernel completes the handshakes into the backlog and the requests wait forever.
    listener.listen(64)
    host, port = listener.getsockname()
    yield f"http://{host}:{port}/v1"
    listener.close()


def make_service(base_url: str, warehouse_file: Path, **overrides: object) -> PersonaService:
    values: dict[str, object] = {
        "OPENAI_API_KEY": "sk-deadline-test-0123456789",
        "OPENAI_BASE_URL": base_url,
        "PERSONA_LLM_TIMEOUT": TIMEOUT,
        "PERSONA_LLM_MAX_RETRIES": 2,
        "PERSONA_DUCKDB_PATH": warehouse_file,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    return PersonaService(settings, DuckDBWarehouse.open(warehouse_file), OpenAIWriter(settings))


def timed_persona(service: PersonaService) -> tuple[float, object]:
    started = time.monotonic()
    # refresh: written anew every time, never answered from the cache an earlier call in the test filled.
    result = service.run(PersonaRequest(kind="segment", query="seg_001", lang="en"), refresh=True)
    return time.monotonic() - started, result


def test_a_server_that_never_answers_gives_the_offline_card_within_the_timeout(
    silent_server: str, sample_warehouse_file: Path
) -> None:
    elapsed, result = timed_persona(make_service(silent_server, sample_warehouse_file))
    assert result.meta.writer == "offline"
    assert result.meta.note == f"The language model did not answer within {TIMEOUT:g} s."
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN


def test_retries_stop_at_the_deadline(sample_warehouse_file: Path) -> None:
    # Every answer is a slow 500 that says to retry soon: without one deadline, three attempts would take 3.6 s.
    with FakeOpenAIServer() as server:
        server.handler = lambda body: Reply.error(500, "overloaded", type="server_error", delay=1.2,
                                                  headers={"retry-after-ms": "10"})
        elapsed, result = timed_persona(make_service(server.url + "/v1", sample_warehouse_file))
        assert result.meta.writer == "offline"
        assert elapsed < TIMEOUT + MARGIN
        assert server.calls == 2  # the retry started in time and was cut at the deadline


def test_a_retry_that_cannot_finish_in_time_is_not_started(sample_warehouse_file: Path) -> None:
    with FakeOpenAIServer() as server:
        service = make_service(server.url + "/v1", sample_warehouse_file)
        # A first persona shows the server needs about a second to answer.
        server.enqueue(Reply.default(delay=1.0))
        assert service.run(PersonaRequest(kind="segment", query="seg_001", lang="en")).meta.writer == "llm"
        server.reset()
        # Then a 500 after 1.5 s: the 0.5 s left cannot hold a one-second answer, so no retry is started.
        server.enqueue(Reply.error(500, "overloaded", type="server_error", delay=1.5,
                                   headers={"retry-after-ms": "10"}))
        elapsed, result = timed_persona(service)
        assert result.meta.writer == "offline" and result.meta.note == "The language model server failed (HTTP 500)."
        assert server.calls == 1
        assert elapsed < TIMEOUT + MARGIN


def test_the_repair_shares_the_deadline(sample_warehouse_file: Path) -> None:
    with FakeOpenAIServer() as server:
        # An unusable first reply after 1.5 s: the repair gets only what is left of the two seconds.
        server.enqueue(Reply.text("not json", delay=1.5), Reply.default(delay=5.0))
        elapsed, result = timed_persona(make_service(server.url + "/v1", sample_warehouse_file))
        assert result.meta.writer == "offline"
        assert result.meta.note == f"The language model did not answer within {TIMEOUT:g} s."
        assert server.calls == 2
        assert elapsed < TIMEOUT + MARGIN
