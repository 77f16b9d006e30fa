"""Durable work: `persona-bot serve` acks and queues, `persona-bot worker` processes deliver (docs/queue.md).

Real processes throughout: the web process, worker processes started and killed per test, a real redis-server
with the append-only file a deployment uses, the local Slack stand-in and the local OpenAI-compatible server.
Short bounds keep the module quick: a silent worker's jobs are re-delivered after 3 s (60 s by default).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.jobs import JobQueue, QueueOptions
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.redis_server import RedisServer
from tests.support.slack_harness import Harness, blocks_of, is_card, llm_env, running_bot, url_posts

REDELIVERY_AFTER = 3.0
SEGMENTS = ["fitness enthusiasts", "pet owners", "music lovers", "mobile gamers", "business travellers",
            "university students"]


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis-aof"), persistent=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(latency=0.3) as server:
        yield server


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path, redis: RedisServer,
        llm: FakeOpenAIServer) -> Iterator[Harness]:
    env = llm_env(llm.url, REDIS_URL=redis.url, PERSONA_JOB_REDELIVERY_AFTER=str(REDELIVERY_AFTER),
                  PERSONA_GENERATION_LOCK_TTL="3", PERSONA_JOB_RETRY_BACKOFF="0.2",
                  PERSONA_WORKER_SHUTDOWN_TIMEOUT="20", PERSONA_RATE_LIMIT_USER="0", PERSONA_RATE_LIMIT_TEAM="0")
    # No worker yet: each test starts (and kills) its own.
    with running_bot(tmp_path_factory.mktemp("queue"), sample_warehouse_file, env_extra=env, workers=0) as h:
        yield h


@pytest.fixture
def bot(web: Harness, llm: FakeOpenAIServer, redis: RedisServer) -> Iterator[Harness]:
    llm.reset()
    redis.client().delete(*[k for k in redis.client().scan_iter("persona:v1:cache:*")] or ["-"])
    yield web
    web.stop_workers()


def send(h: Harness, text: str, *, user: str, name: str, channel: str = "C0QUEUE") -> float:
    """A signed /persona; returns how long the ack took."""
    url = h.standin.response_url(name, channel_id=channel, user_id=user)
    started = time.monotonic()
    assert h.sender.slash_command(text, user_id=user, channel_id=channel, response_url=url).status == 200
    return time.monotonic() - started


def cards(h: Harness, name: str) -> list[dict[str, Any]]:
    return [p for p in url_posts(h, name) if is_card(p)]


def wait_cards(h: Harness, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        missing = [n for n in names if not cards(h, n)]
        if not missing:
            return
        time.sleep(0.1)
    raise AssertionError(f"{len(missing)} of {len(names)} commands got no card: {missing[:10]}\n{h.logs()[-3000:]}")


def assert_one_card_each(h: Harness, names: list[str]) -> None:
    for name in names:
        posts = url_posts(h, name)
        assert sum(1 for p in posts if is_card(p)) == 1, (name, [p.get("text") for p in posts])
        assert is_card(posts[-1]), name
        # Every post after the "working" message replaces the one before: the user sees one message throughout.
        assert all(p.get("replace_original") for p in posts[1:]), name


def assert_clean_logs(h: Harness) -> None:
    logs = h.logs()
    assert "Traceback" not in logs
    assert "sk-test" not in logs


def test_a_worker_killed_mid_generation_is_replaced_and_the_user_sees_one_card(
        bot: Harness, llm: FakeOpenAIServer) -> None:
    first = bot.start_worker(concurrency=2)
    # The first generation takes long enough to kill its worker while the model is still answering.
    llm.enqueue(Reply.default(delay=15.0))
    send(bot, "mobile gamers", user="U0KILL", name="kill")
    deadline = time.monotonic() + 20
    while not llm.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert llm.requests, "the worker never asked the model"
    # The data part is already shown; the card is not.
    assert url_posts(bot, "kill") and not cards(bot, "kill")
    second = bot.start_worker(concurrency=2)
    killed_at = time.monotonic()
    first.kill()
    wait_cards(bot, ["kill"], timeout=20)
    death_to_card = time.monotonic() - killed_at
    assert_one_card_each(bot, ["kill"])
    # The second run replayed the first run's steps instead of posting "working" or the data part again.
    texts = [json.dumps(blocks_of(p)) for p in url_posts(bot, "kill")]
    assert len(texts) == len(set(texts)), texts
    # Re-delivered after the heartbeat timeout (+1 s for the next fetch), the model asked once more.
    assert death_to_card < REDELIVERY_AFTER + 3.0 + 4.0, death_to_card
    assert llm.calls == 2
    assert second.process is not None and second.process.poll() is None
    assert_clean_logs(bot)


def test_200_commands_through_a_rolling_restart_of_the_workers_get_one_card_each(
        bot: Harness, llm: FakeOpenAIServer) -> None:
    for _ in range(2):
        bot.start_worker(concurrency=8)
    plan = [(i * 0.05, f"U0ROLL{i % 20:02d}", SEGMENTS[i % len(SEGMENTS)]) for i in range(200)]
    restarted: list[int] = []

    def rolling_restart() -> None:
        # Like a deployment: one worker at a time gets SIGTERM and exits by itself; its replacement comes up.
        for _ in range(3):
            time.sleep(2.0)
            old = bot.workers.pop(0)
            restarted.append(old.terminate(timeout=30))
            bot.start_worker(concurrency=8)

    chaos = threading.Thread(target=rolling_restart)
    chaos.start()
    start = time.monotonic()

    def one(i: int, offset: float, user: str, text: str) -> float:
        time.sleep(max(0.0, start + offset - time.monotonic()))
        return send(bot, text, user=user, name=f"roll-{i}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        acks = list(pool.map(lambda item: one(item[0], *item[1]), enumerate(plan)))
    chaos.join()
    names = [f"roll-{i}" for i in range(200)]
    wait_cards(bot, names, timeout=90)
    time.sleep(1.0)  # anything duplicated would arrive now
    assert_one_card_each(bot, names)
    assert restarted == [0, 0, 0], "a worker did not exit cleanly on SIGTERM"
    assert max(acks) < 3.0
    assert_clean_logs(bot)


def test_jobs_waiting_in_the_queue_survive_a_redis_restart(bot: Harness, redis: RedisServer) -> None:
    names = [f"aof-{i}" for i in range(10)]
    for i, name in enumerate(names):
        send(bot, SEGMENTS[i % len(SEGMENTS)], user=f"U0AOF{i}", name=name)
    queue = JobQueue(QueueOptions(url=redis.url))
    # Acked at once; each job is queued right after its ack.
    deadline = time.monotonic() + 10
    while queue.depth() < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.depth() == 10
    # appendfsync everysec: a write is on disk within a second; then Redis crashes (SIGKILL) and comes back.
    time.sleep(1.5)
    redis.restart()
    assert JobQueue(QueueOptions(url=redis.url)).depth() == 10
    bot.start_worker(concurrency=4)
    wait_cards(bot, names, timeout=30)
    assert_one_card_each(bot, names)


def test_a_job_that_fails_on_every_try_tells_the_user_and_is_listed_for_operators(
        bot: Harness, redis: RedisServer) -> None:
    bot.start_worker(concurrency=2)
    # A job a newer web process could write and this worker cannot run: it fails on every try.
    url = bot.standin.response_url("poison", channel_id="C0QUEUE", user_id="U0POISON")
    queue = JobQueue(QueueOptions(url=redis.url))
    queue.enqueue("poison0000000001", {"flow": "compare", "surface": {"response_url": url, "shown": False},
                                       "user_id": "U0POISON", "lang": "zh-TW", "context": {"user_id": "U0POISON"}})
    reply = bot.standin.wait_for("response_url", lambda c: c.path == "/response_url/poison", timeout=30).params
    assert "抱歉，這次沒能完成。請再試一次。" in json.dumps(reply, ensure_ascii=False)

    listed = jobs_cli(bot, "jobs", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    failed = json.loads(listed.stdout)["failed"]
    assert [(job["job_id"], job["tries"], job["flow"]) for job in failed] == [("poison0000000001", 3, "compare")]
    assert "UnknownJob" in failed[0]["error"]
    table = jobs_cli(bot, "jobs")
    assert "poison0000000001" in table.stdout and "1 failed" in table.stdout

    # Retried, it fails again (the worker still cannot run it): listed again, and the user told again.
    again = jobs_cli(bot, "jobs", "retry", "poison0000000001")
    assert again.returncode == 0 and "Queued 1" in again.stdout
    bot.standin.wait_for("response_url", lambda c: c.path == "/response_url/poison" and
                         len(url_posts(bot, "poison")) >= 2, timeout=30)
    assert [job.job_id for job in queue.failed()] == ["poison0000000001"]
    unknown = jobs_cli(bot, "jobs", "retry", "nosuchjob")
    assert unknown.returncode == 2 and "nosuchjob" in unknown.stderr
    assert_clean_logs(bot)


def test_20_identical_queued_requests_make_one_llm_call(bot: Harness, llm: FakeOpenAIServer) -> None:
    names = [f"same-{i}" for i in range(20)]
    # Queued while no worker runs, then taken by two workers at once.
    for i, name in enumerate(names):
        send(bot, "music lovers", user=f"U0SAME{i:02d}", name=name)
    for _ in range(2):
        bot.start_worker(concurrency=10)
    wait_cards(bot, names, timeout=30)
    assert_one_card_each(bot, names)
    assert llm.calls == 1


def jobs_cli(h: Harness, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=h.env, capture_output=True, text=True,
                          timeout=60)
