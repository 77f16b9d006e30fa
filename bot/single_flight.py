"""Single-flight: identical concurrent requests cause one computation, in one process and across replicas.

In a process, callers of the same key share one future. Across processes, the first to `SET lock NX PX` computes;
the others poll the result lookup (the cache) until the result appears. The holder keeps its lock alive while it
computes; a holder that dies stops doing so, its lock expires after `lock_ttl`, and a waiter takes over. Waiting is
bounded by `wait_timeout`, after which a waiter computes itself rather than leave its user hanging.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Generic, TypeVar

from bot.redis_conn import KEY_PREFIX, ResilientRedis

log = logging.getLogger(__name__)

T = TypeVar("T")

LOCK_PREFIX = KEY_PREFIX + "lock:"

# Compare-and-delete / compare-and-extend: a holder whose lock expired must not free or extend a successor's lock.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.future: Future[T] = Future()
        self.callers = 1


class SingleFlight:
    def __init__(
        self,
        redis: ResilientRedis | None = None,
        *,
        lock_ttl: float = 15.0,
        wait_timeout: float = 120.0,
        poll_interval: float = 0.05,
    ):
        self.redis = redis
        self.lock_ttl = lock_ttl
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight[Any]] = {}

    @staticmethod
    def lock_key(key: str) -> str:
        return LOCK_PREFIX + key.removeprefix(KEY_PREFIX)

    def pending(self, key: str) -> int:
        """Callers in this process currently sharing the computation of `key` (0 when none runs)."""
        with self._lock:
            flight = self._flights.get(key)
            return flight.callers if flight else 0

    def run(self, key: str, compute: Callable[[], T], *, lookup: Callable[[], T | None]) -> T:
        """`compute()` once for all concurrent callers of `key`; `lookup()` finds a result another replica made."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = _Flight()
                self._flights[key] = flight
            else:
                flight.callers += 1
        if not leader:
            return self._follow(key, flight, compute)
        try:
            value = self._across_processes(key, compute, lookup)
        except BaseException as exc:
            flight.future.set_exception(exc)
            raise
        else:
            flight.future.set_result(value)
            return value
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]

    def _follow(self, key: str, flight: _Flight[T], compute: Callable[[], T]) -> T:
        try:
            return flight.future.result(timeout=self.wait_timeout)
        except FutureTimeout:
            log.warning("Waited %.0f s for a generation in this process; generating again", self.wait_timeout)
            return compute()
        finally:
            with self._lock:
                flight.callers -= 1

    # --- across processes -------------------------------------------------------------------------------------

    def _across_processes(self, key: str, compute: Callable[[], T], lookup: Callable[[], T | None]) -> T:
        redis = self.redis
        if redis is None:
            return compute()
        lock_key = self.lock_key(key)
        ttl_ms = max(1, int(self.lock_ttl * 1000))
        deadline = time.monotonic() + self.wait_timeout
        while True:
            token = secrets.token_hex(16)
            acquired = redis.call(lambda r: bool(r.set(lock_key, token, nx=True, px=ttl_ms)), None)  # noqa: B023
            if acquired is None:
                # Redis is down: replicas cannot coordinate, and this process already does.
                return compute()
            if acquired:
                return self._hold(redis, lock_key, token, compute, lookup)
            found = self._wait(redis, lock_key, lookup, deadline)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                log.warning("Waited %.0f s for another replica's generation; generating here", self.wait_timeout)
                return compute()
            if redis.available:
                log.warning("Generation lock %s was released without a result; taking over", lock_key)

    def _hold(
        self,
        redis: ResilientRedis,
        lock_key: str,
        token: str,
        compute: Callable[[], T],
        lookup: Callable[[], T | None],
    ) -> T:
        try:
            # The previous holder may have stored its result between our caller's lookup and our lock.
            found = lookup()
            if found is not None:
                return found
            stop = threading.Event()
            watchdog = threading.Thread(
                target=self._keep_alive, args=(redis, lock_key, token, stop), name="single-flight-lock", daemon=True
            )
            watchdog.start()
            try:
                return compute()
            finally:
                stop.set()
                watchdog.join()
        finally:
            redis.call(lambda r: r.eval(RELEASE, 1, lock_key, token), None)

    def _keep_alive(self, redis: ResilientRedis, lock_key: str, token: str, stop: threading.Event) -> None:
        ttl_ms = max(1, int(self.lock_ttl * 1000))
        while not stop.wait(self.lock_ttl / 3):
            kept = redis.call(lambda r: r.eval(REFRESH, 1, lock_key, token, ttl_ms), None)
            if kept == 0:
                # Expired while Redis was unreachable and maybe taken by another replica: nothing left to keep.
                log.warning("Lost generation lock %s while computing", lock_key)
                return

    def _wait(
        self, redis: ResilientRedis, lock_key: str, lookup: Callable[[], T | None], deadline: float
    ) -> T | None:
        """The result once it appears; None when the lock went without one, on timeout, or when Redis is down."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(self.poll_interval, remaining))
            found = lookup()
            if found is not None:
                return found
            held = redis.call(lambda r: int(r.exists(lock_key)), None)
            if held is None:
                return None
            if not held:
                # The holder stores its result before it releases the lock.
                return lookup()
