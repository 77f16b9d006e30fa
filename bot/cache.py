"""The persona cache: results keyed by what was retrieved, shared through Redis or kept in process.

A key is a fingerprint of the grounding actually retrieved (apps, scores, demographics), the prompt version, the model
and the language. Two requests that retrieve the same facts share a persona however the user typed them; raw user text
and secrets never reach a key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from redis import Redis

from bot.errors import PersonaError
from bot.models import PersonaResult
from bot.redis_conn import KEY_PREFIX, ResilientRedis
from bot.text_keys import fold

if TYPE_CHECKING:
    from bot.service import PreparedPersona

log = logging.getLogger(__name__)

CACHE_PREFIX = KEY_PREFIX + "cache:"
FOLLOWUP_PREFIX = KEY_PREFIX + "followup:"
STATS_KEY = KEY_PREFIX + "stats"
# What `clear` removes: cached words only. Stored personas, preferences and feedback stay, so buttons on cards
# already posted keep working.
CLEARED_PATTERNS = (CACHE_PREFIX + "*", FOLLOWUP_PREFIX + "*")
# Rounding keeps float noise from the warehouse or pooling from splitting one persona into several keys.
DECIMALS = 6
SCAN_BATCH = 500


def _num(value: float | None) -> float | None:
    return None if value is None else round(float(value), DECIMALS)


def _digest(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(prepared: PreparedPersona, *, model: str, prompt_version: str, lang: str) -> str:
    """sha256 hex of everything that shapes the written persona, and nothing else."""
    grounding, demographics = prepared.grounding, prepared.demographics
    payload = {
        "segment": [grounding.segment.id, grounding.segment.name] if grounding.segment else None,
        # Order matters: the writer is told the apps strongest first.
        "apps": [
            {
                "name": fold(app.name),
                "app_id": app.app_id,
                "score": _num(app.score),
                "weight": _num(app.weight),
                "category": app.category,
            }
            for app in grounding.apps
        ],
        "demographics": {
            "age": {bucket: _num(share) for bucket, share in demographics.age.items()},
            "gender": {bucket: _num(share) for bucket, share in demographics.gender.items()},
            "source": demographics.source,
            "coverage": _num(demographics.coverage),
        },
        # Buckets only shape the words when the writer has to estimate the figures.
        "buckets": prepared.request.buckets if prepared.request.needs_estimate else None,
        "truncated": grounding.truncated,
        "prompt_version": prompt_version,
        "model": model,
        "lang": lang,
    }
    return _digest(payload)


def persona_key(digest: str) -> str:
    return CACHE_PREFIX + digest


def followup_key(persona_id: str, kind: str, product: str | None, *, model: str, prompt_version: str) -> str:
    """Key of a follow-up analysis: it analyses one persona's words, so it follows the persona id.

    A cache hit reuses the persona id, so everyone shown the same persona shares its follow-ups; Regenerate makes a
    new id and with it new follow-ups. The product name is user text: only its hash is part of the key.
    """
    payload = {
        "persona": persona_id,
        "kind": kind,
        "product": fold(product) if product else None,
        "model": model,
        "prompt_version": prompt_version,
    }
    return FOLLOWUP_PREFIX + _digest(payload)


def _as_hit(raw: str, key: str) -> PersonaResult | None:
    try:
        result = PersonaResult.model_validate_json(raw)
    except ValidationError:
        # Written by an incompatible version: a miss, and the next generation overwrites it.
        log.warning("Ignoring an unreadable cache entry %s", key)
        return None
    # generated_at is kept, so the card can say how old the persona is.
    return result.model_copy(update={"meta": result.meta.model_copy(update={"cached": True})})


@dataclass(frozen=True)
class CacheStats:
    backend: str  # "redis" | "memory"
    available: bool
    personas: int
    followups: int
    hits: int
    misses: int
    memory: str | None = None  # Redis' own figure, e.g. "1.2M"

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "available": self.available,
            "personas": self.personas,
            "followups": self.followups,
            "hits": self.hits,
            "misses": self.misses,
            "memory": self.memory,
        }


class CacheUnavailable(PersonaError):
    """An operator command needs Redis and it did not answer."""


class PersonaCache(Protocol):
    def get(self, key: str, *, count: bool = True) -> PersonaResult | None: ...
    def set(self, key: str, result: PersonaResult, ttl: int | None = None) -> None: ...
    def get_json(self, key: str) -> str | None: ...
    def set_json(self, key: str, value: str, ttl: int | None = None) -> None: ...
    def clear(self) -> int: ...
    def stats(self) -> CacheStats: ...


class MemoryCache:
    """In-process cache with a TTL per entry and a bound on entries (least recently used go first)."""

    def __init__(self, ttl: int, *, max_entries: int = 1000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._hits = 0
        self._misses = 0

    def get_json(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set_json(self, key: str, value: str, ttl: int | None = None) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + (self.ttl if ttl is None else ttl), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def get(self, key: str, *, count: bool = True) -> PersonaResult | None:
        raw = self.get_json(key)
        result = _as_hit(raw, key) if raw is not None else None
        if count:
            with self._lock:
                if result is None:
                    self._misses += 1
                else:
                    self._hits += 1
        return result

    def set(self, key: str, result: PersonaResult, ttl: int | None = None) -> None:
        self.set_json(key, result.model_dump_json(), ttl)

    def clear(self) -> int:
        with self._lock:
            removed = len(self._entries)
            self._entries.clear()
            self._hits = self._misses = 0
            return removed

    def stats(self) -> CacheStats:
        with self._lock:
            now = self._clock()
            live = [k for k, (expires_at, _) in self._entries.items() if expires_at > now]
            return CacheStats(
                backend="memory",
                available=True,
                personas=sum(k.startswith(CACHE_PREFIX) for k in live),
                followups=sum(k.startswith(FOLLOWUP_PREFIX) for k in live),
                hits=self._hits,
                misses=self._misses,
            )


_DOWN = object()


def scan_keys(client: Redis, pattern: str) -> Iterator[str]:
    for key in client.scan_iter(match=pattern, count=SCAN_BATCH):
        yield key.decode() if isinstance(key, bytes) else str(key)


class RedisCache:
    """The shared cache. While Redis is unreachable, reads and writes go to an in-process `MemoryCache`."""

    def __init__(self, redis: ResilientRedis, ttl: int, *, fallback: MemoryCache | None = None):
        self.redis = redis
        self.ttl = ttl
        self.fallback = fallback or MemoryCache(ttl)

    def get_json(self, key: str) -> str | None:
        raw = self.redis.call(lambda r: r.get(key), _DOWN)
        if raw is _DOWN:
            return self.fallback.get_json(key)
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def set_json(self, key: str, value: str, ttl: int | None = None) -> None:
        seconds = self.ttl if ttl is None else ttl
        if self.redis.call(lambda r: bool(r.set(key, value, ex=seconds)), False) is False:
            self.fallback.set_json(key, value, seconds)

    def get(self, key: str, *, count: bool = True) -> PersonaResult | None:
        raw = self.get_json(key)
        result = _as_hit(raw, key) if raw is not None else None
        if count:
            field = "misses" if result is None else "hits"
            # Counters are best effort: losing one during an outage costs nothing.
            self.redis.call(lambda r: r.hincrby(STATS_KEY, field, 1), None)
        return result

    def set(self, key: str, result: PersonaResult, ttl: int | None = None) -> None:
        self.set_json(key, result.model_dump_json(), ttl)

    def clear(self) -> int:
        """Deletes this app's cache keys (SCAN on the prefix, never FLUSHDB) and the hit counters."""

        def _clear(r: Redis) -> int:
            removed = 0
            for pattern in CLEARED_PATTERNS:
                batch: list[str] = []
                for key in scan_keys(r, pattern):
                    batch.append(key)
                    if len(batch) >= SCAN_BATCH:
                        removed += int(r.unlink(*batch))
                        batch = []
                if batch:
                    removed += int(r.unlink(*batch))
            r.delete(STATS_KEY)
            return removed

        removed = self.redis.call(_clear, None)
        self.fallback.clear()
        if removed is None:
            raise CacheUnavailable(f"Redis at {self.redis.display_url} is not reachable; nothing was cleared there.")
        return removed

    def stats(self) -> CacheStats:
        def _stats(r: Redis) -> CacheStats:
            counters = {
                (k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in r.hgetall(STATS_KEY).items()
            }
            memory = r.info("memory").get("used_memory_human")
            return CacheStats(
                backend="redis",
                available=True,
                personas=sum(1 for _ in scan_keys(r, CACHE_PREFIX + "*")),
                followups=sum(1 for _ in scan_keys(r, FOLLOWUP_PREFIX + "*")),
                hits=counters.get("hits", 0),
                misses=counters.get("misses", 0),
                memory=str(memory) if memory is not None else None,
            )

        found = self.redis.call(_stats, None)
        if found is None:
            local = self.fallback.stats()
            return CacheStats(
                backend="redis",
                available=False,
                personas=local.personas,
                followups=local.followups,
                hits=local.hits,
                misses=local.misses,
            )
        return found
