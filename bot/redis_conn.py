"""One Redis connection that never fails a request: every operation has an in-process answer to fall back on.

Replicas share the cache, the single-flight locks, the rate-limit counters and the persona store through Redis.
When Redis is down or flapping, callers get their fallback value at once (no timeout per request while it is
known to be down), the log gets one warning per outage and one line when it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from bot.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every key this app writes starts with this, so `cache clear` and operators can tell ours from anyone else's.
# Bump the version when the layout of values changes incompatibly.
KEY_PREFIX = "persona:v1:"

DAY = 24 * 3600


@dataclass(frozen=True)
class RedisOptions:
    """What the Redis-backed parts need from the settings, with the production defaults."""

    url: str | None = None
    cache_ttl: int = 7 * DAY
    store_ttl: int = 30 * DAY
    # A holder that dies frees its lock after this long; a live holder keeps refreshing it.
    lock_ttl: float = 15.0
    # How long identical requests wait for the one generating before generating themselves.
    wait_timeout: float = 120.0
    rate_limit_user: int = 20
    rate_limit_team: int = 200
    rate_limit_window: int = 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisOptions:
        secret = settings.redis_url
        url = secret.get_secret_value() if secret is not None else None
        return cls(
            url=url or None,
            cache_ttl=settings.cache_ttl,
            store_ttl=settings.store_ttl,
            lock_ttl=settings.generation_lock_ttl,
            wait_timeout=settings.generation_wait,
            rate_limit_user=settings.rate_limit_user,
            rate_limit_team=settings.rate_limit_team,
            rate_limit_window=settings.rate_limit_window,
        )


def redact_url(url: str) -> str:
    """The URL without its password, for logs and operator output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else "***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


class ResilientRedis:
    """A redis-py client plus an outage state: `call(fn, default)` returns `default` instead of raising."""

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 0.5,
        min_backoff: float = 2.0,
        max_backoff: float = 30.0,
        client: Redis | None = None,
    ):
        self.display_url = redact_url(url)
        self.client: Redis = client or Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            # A pooled connection idle this long is pinged first: after a Redis restart it is dead.
            health_check_interval=10,
            # One immediate retry on a fresh connection heals a stale pooled one; more would only add latency
            # while Redis is really down.
            retry=Retry(NoBackoff(), 1),
        )
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._backoff = 0.0
        self._outage = False

    @property
    def available(self) -> bool:
        """False while a recent failure's backoff runs; the next call after it tries Redis again."""
        with self._lock:
            return time.monotonic() >= self._down_until

    @property
    def in_outage(self) -> bool:
        """True from a connection failure until an operation succeeds again."""
        with self._lock:
            return self._outage

    def call(self, fn: Callable[[Redis], T], default: T) -> T:
        if not self.available:
            return default
        try:
            result = fn(self.client)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            self._mark_down(exc)
            return default
        except RedisError as exc:
            # A bad reply (full memory, wrong type) is not an outage: the next operation may well work.
            log.warning("Redis operation failed (%s: %s); using in-process fallback", type(exc).__name__, exc)
            return default
        self._mark_up()
        return result

    def ping(self) -> bool:
        return bool(self.call(lambda r: r.ping(), False))

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            first = not self._outage
            self._outage = True
            self._backoff = self._min_backoff if first else min(self._backoff * 2, self._max_backoff)
            self._down_until = time.monotonic() + self._backoff
        if first:
            log.warning(
                "Redis unavailable at %s (%s); using in-process fallback until it is back",
                self.display_url,
                type(exc).__name__,
            )

    def _mark_up(self) -> None:
        with self._lock:
            if not self._outage:
                return
            self._outage = False
            self._backoff = 0.0
            self._down_until = 0.0
        log.info("Redis at %s is back; shared cache, locks and store are in use again", self.display_url)


@lru_cache(maxsize=8)
def shared_redis(url: str) -> ResilientRedis:
    """One client per URL and process, so the cache, locks, limits and store share a pool and one outage state."""
    return ResilientRedis(url)
