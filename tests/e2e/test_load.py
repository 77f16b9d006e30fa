"""Load and failing dependencies: many users at once, and Redis dying while their requests are in flight.

The real app (`persona-bot serve`, uvicorn, one worker) with a real redis-server, the local Slack stand-in
and the local OpenAI-compatible server answering in 1–3 s. Each command has its own response_url, so "every
user gets exactly one card per command" is checked per command. The figures of each run are written to
test-artifacts/ for docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.dataset import sample_dataset_dir
from tests.support.bq_emulator import PROJECT, EmulatorUnavailable, running_emulator
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.paths import REPO_ROOT
from tests.support.redis_server import RedisServer, running_redis
from tests.support.slack_harness import Harness, blocks_of, is_card, llm_env, running_bot, url_posts

ARTIFACTS = REPO_ROOT / "test-artifacts"
SEGMENTS = [
    "fitness enthusiasts", "pet owners", "music lovers", "mobile gamers", "beauty shoppers",
    "business travellers", "university students", "retail investors", "job seekers", "language learners",
]
SLACK_ACK_LIMIT = 3.0


@dataclass
class Sent:
    name: str
    user: str
    text: str
    status: int
    ack_seconds: float


def _latency_1_to_3_s(seed: int) -> Any:
    rng = random.Random(seed)
    lock = threading.Lock()

    def handler(body: dict[str, Any]) -> Reply:
        with lock:
            delay = rng.uniform(1.0, 3.0)
        return Reply.default(delay=delay)

    return handler


def _send_all(h: Harness, plan: list[tuple[float, str, str]], prefix: str) -> list[Sent]:
    """Sends each (offset seconds, user, text) at its offset from now, concurrently; returns what each got back."""
    start = time.monotonic()

    def send(i: int, offset: float, user: str, text: str) -> Sent:
        time.sleep(max(0.0, start + offset - time.monotonic()))
        name = f"{prefix}-{i}"
        url = h.standin.response_url(name, channel_id="C0LOAD", user_id=user)
        sent_at = time.monotonic()
        resp = h.sender.slash_command(text, user_id=user, channel_id="C0LOAD", response_url=url)
        return Sent(name, user, text, resp.status, time.monotonic() - sent_at)

    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(send, i, *item) for i, item in enumerate(plan)]
        return [f.result() for f in futures]


def _wait_all_answered(h: Harness, sent: list[Sent], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_final(h, s) is not None for s in sent):
            return
        time.sleep(0.2)
    missing = [s.name for s in sent if _final(h, s) is None]
    raise AssertionError(f"{len(missing)} commands got no final answer: {missing[:10]}")


def _final(h: Harness, s: Sent) -> dict[str, Any] | None:
    """The card or friendly error that ended a command's conversation, if it has ended."""
    posts = url_posts(h, s.name)
    if posts and (is_card(posts[-1]) or _is_error(posts[-1])):
        return posts[-1]
    return None


def _is_error(params: dict[str, Any]) -> bool:
    return any(b.get("block_id") == "persona_error" for b in blocks_of(params))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _record(name: str, figures: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")


# --- 200 commands from 20 users ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(handler=_latency_1_to_3_s(seed=6)) as server:
        yield server


@pytest.fixture(scope="module")
def loaded_bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path, llm: FakeOpenAIServer,
               redis_server: RedisServer) -> Iterator[Harness]:
    env = llm_env(llm.url, REDIS_URL=redis_server.url)
    with running_bot(tmp_path_factory.mktemp("load"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


def test_200_commands_from_20_users_in_10_seconds(loaded_bot: Harness, llm: FakeOpenAIServer) -> None:
    h = loaded_bot
    users = [f"U0LOAD{i:02d}" for i in range(20)]
    for i, user in enumerate(users):
        # Both scripts: the language is part of the cache key, so this also checks keys stay distinct per language.
        h.standin.add_user(user, name=user.lower(), locale="zh-TW" if i % 2 else "en-US")
    rng = random.Random(200)
    plan = sorted((rng.uniform(0.0, 10.0), user, rng.choice(SEGMENTS)) for user in users for _ in range(10))
    llm.reset()
    started = time.monotonic()
    sent = _send_all(h, plan, "load")
    sent_within = time.monotonic() - started
    _wait_all_answered(h, sent, timeout=90)
    answered_within = time.monotonic() - started

    acks = [s.ack_seconds for s in sent]
    assert all(s.status == 200 for s in sent)
    assert max(acks) < SLACK_ACK_LIMIT, f"slowest ack {max(acks):.2f} s"
    # Exactly one card per command: the last post is the card and no command got a second one.
    for s in sent:
        posts = url_posts(h, s.name)
        assert sum(1 for p in posts if is_card(p)) == 1, (s.name, posts)
        assert is_card(posts[-1])
    distinct = {(s.text, int(s.user[-2:]) % 2) for s in sent}
    assert llm.calls == len(distinct), f"{llm.calls} LLM calls for {len(distinct)} distinct requests"
    assert "Traceback" not in h.logs()
    _record("load-200", {
        "commands": len(sent), "users": len(users), "distinct_requests": len(distinct), "llm_calls": llm.calls,
        "sent_within_s": round(sent_within, 2), "all_answered_within_s": round(answered_within, 2),
        "ack_p50_ms": round(statistics.median(acks) * 1000, 1), "ack_p95_ms": round(_percentile(acks, 0.95) * 1000, 1),
        "ack_max_ms": round(max(acks) * 1000, 1),
    })


# --- Redis dies while requests flow ------------------------------------------------------------------------------


def test_redis_crashing_and_coming_back_under_load_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path
) -> None:
    workdir = tmp_path_factory.mktemp("redis-crash")
    with FakeOpenAIServer(latency=0.5) as llm, running_redis(workdir / "redis") as redis:
        # A Redis that comes back empty has lost any queued job: this is the cache and coordination dying under
        # load, with the work in the web process. The queue's own Redis restart (with its append-only file) is
        # test_queue.py::test_jobs_waiting_in_the_queue_survive_a_redis_restart.
        env = llm_env(llm.url, REDIS_URL=redis.url, PERSONA_JOBS="in-process")
        with running_bot(workdir, sample_warehouse_file, env_extra=env) as h:
            rng = random.Random(7)
            plan = sorted((rng.uniform(0.0, 8.0), f"U0RC{i % 10}", rng.choice(SEGMENTS)) for i in range(80))

            def crash_and_recover() -> None:
                time.sleep(2.0)
                redis.kill()  # SIGKILL: connections die mid-command
                time.sleep(3.0)
                redis.start()  # same port, empty: the cache and the locks are gone

            chaos = threading.Thread(target=crash_and_recover)
            chaos.start()
            sent = _send_all(h, plan, "redis-crash")
            chaos.join()
            _wait_all_answered(h, sent, timeout=60)

            acks = [s.ack_seconds for s in sent]
            assert max(acks) < SLACK_ACK_LIMIT
            # Every command ends in a persona card: Redis is a cache and a coordinator, never a reason to fail.
            for s in sent:
                assert is_card(url_posts(h, s.name)[-1]), s.name
            logs = h.logs()
            assert "Traceback" not in logs
            assert "Redis unavailable" in logs and "is back" in logs
            _record("redis-crash", {
                "commands": len(sent), "cards": len(sent), "llm_calls": llm.calls,
                "distinct_requests": len({s.text for s in sent}), "ack_max_ms": round(max(acks) * 1000, 1),
            })


# --- the warehouse dies while requests flow ----------------------------------------------------------------------


@pytest.mark.bigquery
def test_the_warehouse_failing_under_load_gives_friendly_answers_and_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("warehouse-down")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        emulator = running_emulator(log_path=workdir / "emulator.log", processes=processes)
        endpoint = emulator.__enter__()
    except EmulatorUnavailable as exc:
        pytest.skip(f"BigQuery emulator unavailable: {exc}")
    try:
        bq = {"PERSONA_WAREHOUSE": "bigquery", "PERSONA_BIGQUERY_EMULATOR": endpoint,
              "PERSONA_BIGQUERY_PROJECT": PROJECT, "PERSONA_BIGQUERY_DATASET": "persona_load",
              "PERSONA_BIGQUERY_TIMEOUT": "3"}
        # Loaded the way an operator would: the CLI, with the same settings the bot gets.
        load = subprocess.run(
            [sys.executable, "-m", "bot.cli", "warehouse", "load", str(sample_dataset_dir())],
            env={**os.environ, **bq}, capture_output=True, text=True, timeout=300,
        )
        assert load.returncode == 0, load.stderr
        with running_bot(workdir, workdir / "unused.duckdb", env_extra=bq) as h:
            rng = random.Random(11)
            plan = sorted((rng.uniform(0.0, 6.0), f"U0WH{i % 6}", rng.choice(SEGMENTS)) for i in range(36))

            def kill_warehouse() -> None:
                time.sleep(2.0)
                processes[0].kill()

            chaos = threading.Thread(target=kill_warehouse)
            chaos.start()
            sent = _send_all(h, plan, "warehouse-down")
            chaos.join()
            _wait_all_answered(h, sent, timeout=120)

            acks = [s.ack_seconds for s in sent]
            assert max(acks) < SLACK_ACK_LIMIT
            finals = [_final(h, s) for s in sent]
            cards = sum(1 for f in finals if f is not None and is_card(f))
            errors = [f for f in finals if f is not None and _is_error(f)]
            # Before the crash users got cards; after it, a message saying the warehouse is not answering.
            assert cards > 0 and errors, (cards, len(errors))
            assert cards + len(errors) == len(sent)
            for error in errors:
                assert "warehouse" in error["text"].lower() or "bigquery" in error["text"].lower(), error["text"]
                assert "Traceback" not in error["text"] and endpoint not in error["text"]
            assert "Traceback" not in h.logs()
            _record("warehouse-down", {"commands": len(sent), "cards": cards, "friendly_errors": len(errors),
                                       "ack_max_ms": round(max(acks) * 1000, 1)})
    finally:
        emulator.__exit__(None, None, None)
