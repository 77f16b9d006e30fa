"""“Have we seen this before?” for replayed requests and duplicate Slack deliveries, shared across replicas.

With Redis, the first replica to claim a key wins (SET NX with a TTL), so a retry that lands on another
replica is still recognised. Without Redis, or while it is down, each process remembers on its own: a
duplicate may then slip through across replicas, but one process never processes the same delivery twice.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from bot.redis_conn import KEY_PREFIX, ResilientRedis

_UNKNOWN = object()


class MemorySeenKeys:
    def __init__(self, max_keys: int = 100_000):
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_keys

    def first_time(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._lock:
            expires = self._expiry.get(key)
            if expires is not None and expires > now:
                return False
            self._expiry[key] = now + ttl
            self._expiry.move_to_end(key)
            # Bounded: the oldest claims go first, and they are the ones closest to expiring anyway.
            while len(self._expiry) > self._max:
                self._expiry.popitem(last=False)
            return True


class RedisSeenKeys:
    def __init__(self, redis: ResilientRedis, fallback: MemorySeenKeys | None = None):
        self.redis = redis
        self.fallback = fallback or MemorySeenKeys()

    def first_time(self, key: str, ttl: float) -> bool:
        # Remember locally too, so an outage that starts between a delivery and its retry cannot let both through.
        local = self.fallback.first_time(key, ttl)
        claimed = self.redis.call(
            lambda r: r.set(f"{KEY_PREFIX}seen:{key}", b"1", nx=True, px=max(1, int(ttl * 1000))), _UNKNOWN
        )
        if claimed is _UNKNOWN:
            return local
        return local and bool(claimed)


SeenKeys = MemorySeenKeys | RedisSeenKeys
