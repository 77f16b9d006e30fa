from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from redis import Redis

from bot.redis_conn import ResilientRedis
from bot.single_flight import SingleFlight
from tests.support.paths import REPO_ROOT
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer

KEY = "persona:v1:cache:abc"
RESULT_KEY = "test:result:abc"


def replica(redis_server: RedisServer, **options: float) -> SingleFlight:
    """A SingleFlight with its own connection, as another process would have."""
    return SingleFlight(ResilientRedis(redis_server.url), poll_interval=0.02, **options)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def bump(self) -> int:
        with self._lock:
            self.calls += 1
            return self.calls


def run_in_threads(count: int, target: Callable[[], object]) -> tuple[list[threading.Thread], list[object]]:
    results: list[object] = []

    def _run() -> None:
        results.append(target())

    threads = [threading.Thread(target=_run) for _ in range(count)]
    for t in threads:
        t.start()
    return threads, results


# --- in one process -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_redis", [False, True])
def test_concurrent_calls_in_one_process_share_one_computation(with_redis: bool, redis_server: RedisServer) -> None:
    flight = replica(redis_server) if with_redis else SingleFlight(None)
    counter, release = Counter(), threading.Event()

    def compute() -> dict[str, int]:
        counter.bump()
        release.wait(10)
        return {"n": counter.calls}

    threads, results = run_in_threads(6, lambda: flight.run(KEY, compute, lookup=lambda: None))
    wait_until(lambda: flight.pending(KEY) == 6, "all six callers to join")
    release.set()
    for t in threads:
        t.join(10)
    assert counter.calls == 1
    assert len(results) == 6 and all(r is results[0] for r in results)
    assert flight.pending(KEY) == 0
    # A finished flight is not reused: the next call computes again.
    assert flight.run(KEY, compute, lookup=lambda: None) == {"n": 2}


def test_an_error_reaches_every_caller_and_the_next_call_computes_again() -> None:
    flight = SingleFlight(None)
    release = threading.Event()
    errors: list[Exception] = []

    def failing() -> str:
        release.wait(10)
        raise ValueError("boom")

    def call() -> None:
        try:
            flight.run(KEY, failing, lookup=lambda: None)
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    wait_until(lambda: flight.pending(KEY) == 3, "three callers")
    release.set()
    for t in threads:
        t.join(10)
    assert len(errors) == 3 and all(e is errors[0] for e in errors)
    assert flight.run(KEY, lambda: "ok", lookup=lambda: None) == "ok"


def test_without_redis_reachable_each_process_still_deduplicates() -> None:
    flight = SingleFlight(ResilientRedis(f"redis://127.0.0.1:{free_port()}/0"))
    counter, release = Counter(), threading.Event()

    def compute() -> int:
        counter.bump()
        release.wait(10)
        return 7

    threads, results = run_in_threads(4, lambda: flight.run(KEY, compute, lookup=lambda: None))
    wait_until(lambda: flight.pending(KEY) == 4, "four callers")
    release.set()
    for t in threads:
        t.join(10)
    assert results == [7, 7, 7, 7] and counter.calls == 1


# --- across replicas ----------------------------------------------------------------------------------------------


def _store_result(client: Redis, value: str) -> str:
    client.set(RESULT_KEY, value)
    return value


def _lookup(client: Redis) -> str | None:
    raw = client.get(RESULT_KEY)
    return raw.decode() if raw is not None else None


def test_a_waiting_replica_gets_the_holders_result_without_computing(redis_server: RedisServer, client: Redis) -> None:
    holder, waiter = replica(redis_server), replica(redis_server)
    release = threading.Event()
    waiter_polls, waiter_computes = Counter(), Counter()

    def slow() -> str:
        release.wait(10)
        return _store_result(client, "from-holder")

    def waiter_lookup() -> str | None:
        waiter_polls.bump()
        return _lookup(client)

    def waiter_compute() -> str:
        waiter_computes.bump()
        return "from-waiter"

    first, first_results = run_in_threads(1, lambda: holder.run(KEY, slow, lookup=lambda: _lookup(client)))
    wait_until(lambda: client.exists(SingleFlight.lock_key(KEY)) == 1, "the holder's lock")
    second, second_results = run_in_threads(1, lambda: waiter.run(KEY, waiter_compute, lookup=waiter_lookup))
    wait_until(lambda: waiter_polls.calls >= 3, "the waiter to poll")
    release.set()
    for t in first + second:
        t.join(10)
    assert first_results == ["from-holder"] and second_results == ["from-holder"]
    assert waiter_computes.calls == 0
    assert client.exists(SingleFlight.lock_key(KEY)) == 0


def test_a_slow_holder_keeps_its_lock_beyond_the_ttl(redis_server: RedisServer, client: Redis) -> None:
    holder, waiter = replica(redis_server, lock_ttl=1.0), replica(redis_server, lock_ttl=1.0)
    waiter_computes = Counter()
    lock = SingleFlight.lock_key(KEY)
    waiter_started = threading.Event()

    def slow() -> str:
        # Two and a half lock TTLs: without the watchdog the waiter would take over.
        waiter_started.wait(10)
        time.sleep(2.5)
        assert client.pttl(lock) > 0
        return _store_result(client, "from-holder")

    def waiter_compute() -> str:
        waiter_computes.bump()
        return "from-waiter"

    first, first_results = run_in_threads(1, lambda: holder.run(KEY, slow, lookup=lambda: _lookup(client)))
    wait_until(lambda: client.exists(lock) == 1, "the holder's lock")

    def wait_for_result() -> str:
        waiter_started.set()
        return waiter.run(KEY, waiter_compute, lookup=lambda: _lookup(client))

    second, second_results = run_in_threads(1, wait_for_result)
    for t in first + second:
        t.join(10)
    assert first_results == ["from-holder"] and second_results == ["from-holder"]
    assert waiter_computes.calls == 0


HOLDER_SCRIPT = """
import sys, time
from bot.redis_conn import ResilientRedis
from bot.single_flight import SingleFlight

def compute():
    print("computing", flush=True)
    time.sleep(60)
    return "never"

SingleFlight(ResilientRedis(sys.argv[1]), lock_ttl=1.0).run(sys.argv[2], compute, lookup=lambda: None)
"""


def test_a_killed_holder_is_taken_over_after_the_lock_ttl(
    redis_server: RedisServer, client: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, redis_server.url, KEY],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "computing"
        assert client.exists(SingleFlight.lock_key(KEY)) == 1
        holder.kill()  # SIGKILL: no finally blocks, no lock release
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
    counter = Counter()

    def compute() -> str:
        counter.bump()
        return "taken-over"

    with caplog.at_level(logging.WARNING, logger="bot.single_flight"):
        # The wait bound is far longer than the lock TTL: the takeover must come from the expired lock.
        result = replica(redis_server, lock_ttl=1.0, wait_timeout=30).run(KEY, compute, lookup=lambda: None)
    assert result == "taken-over" and counter.calls == 1
    assert any("taking over" in r.getMessage() for r in caplog.records)
    assert not any("Waited" in r.getMessage() for r in caplog.records)


def test_waiting_is_bounded_when_the_holder_never_finishes(
    redis_server: RedisServer, client: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # A live but stuck holder: its lock outlives the waiter's patience.
    client.set(SingleFlight.lock_key(KEY), "someone-else", px=60_000)
    with caplog.at_level(logging.WARNING, logger="bot.single_flight"):
        result = replica(redis_server, wait_timeout=0.3).run(KEY, lambda: "mine", lookup=lambda: None)
    assert result == "mine"
    assert any("Waited" in r.getMessage() for r in caplog.records)
    assert client.get(SingleFlight.lock_key(KEY)) == b"someone-else"


def test_a_holder_never_releases_a_successors_lock(redis_server: RedisServer, client: Redis) -> None:
    lock = SingleFlight.lock_key(KEY)

    def compute() -> str:
        # As if our lock had expired and another replica had taken it meanwhile.
        client.set(lock, "successor")
        return "done"

    assert replica(redis_server).run(KEY, compute, lookup=lambda: None) == "done"
    assert client.get(lock) == b"successor"


def test_the_holder_returns_a_result_that_landed_before_it_locked(redis_server: RedisServer, client: Redis) -> None:
    client.set(RESULT_KEY, "already-there")
    counter = Counter()

    def compute() -> str:
        counter.bump()
        return "new"

    assert replica(redis_server).run(KEY, compute, lookup=lambda: _lookup(client)) == "already-there"
    assert counter.calls == 0
