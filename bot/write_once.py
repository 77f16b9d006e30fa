"""Each distinct persona or follow-up is written once: cache hit → free; else rate limit → one write per key.

`WriteOnce` sits between `PersonaService.run` and the writer: a cached answer costs nothing, and however many
requests ask for the same persona at once (on however many replicas), one of them writes it and the others wait
for that answer. With REDIS_URL the cache, the single-flight locks and the rate-limit counters are shared by every
replica; without it they are in-process, which is right for one process and said once at start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from bot import metrics
from bot.cache import CacheStats, MemoryCache, PersonaCache, RedisCache, fingerprint, followup_key, persona_key
from bot.models import PersonaResult, WrittenAnswer
from bot.rate_limit import RateLimiter
from bot.redis_conn import RedisOptions, ResilientRedis, shared_redis
from bot.single_flight import SingleFlight
from bot.writers import PersonaWriter
from prompts import FOLLOWUP_PROMPT_VERSION, PERSONA_PROMPT_VERSION

if TYPE_CHECKING:
    from bot.service import PreparedPersona

log = logging.getLogger(__name__)

M = TypeVar("M", bound=WrittenAnswer)

# An offline draft written because the LLM failed is shared with requests waiting on the same generation, but kept
# only briefly: the next request after that should try the LLM again.
DEGRADED_TTL = 120


class WriteOnce:
    def __init__(
        self,
        write: Callable[[PreparedPersona], PersonaResult],
        writer: PersonaWriter,
        cache: PersonaCache,
        single_flight: SingleFlight,
        rate_limiter: RateLimiter | None = None,
        *,
        backend: str = "in-process",
    ):
        # The uncached write (the writer with its offline fallback) and the writer it uses, whose model name is part
        # of every key and whose kind says whether rate limits apply (the offline writer costs nothing).
        self._write = write
        self.writer = writer
        self.cache = cache
        self.single_flight = single_flight
        self.rate_limiter = rate_limiter
        # For operators and the start-up log: "in-process" or the Redis URL without its password.
        self.backend = backend

    @classmethod
    def build(
        cls,
        write: Callable[[PreparedPersona], PersonaResult],
        writer: PersonaWriter,
        options: RedisOptions,
        *,
        redis: ResilientRedis | None = None,
    ) -> WriteOnce:
        """Redis-backed parts when `options.url` is set (or `redis` is given), in-process ones otherwise."""
        if redis is None and options.url:
            redis = shared_redis(options.url)
        limiter_args = {
            "per_user": options.rate_limit_user,
            "per_team": options.rate_limit_team,
            "window": options.rate_limit_window,
        }
        flight_args = {"lock_ttl": options.lock_ttl, "wait_timeout": options.wait_timeout}
        if redis is None:
            return cls(
                write,
                writer,
                MemoryCache(options.cache_ttl),
                SingleFlight(None, **flight_args),
                RateLimiter(None, **limiter_args),
            )
        return cls(
            write,
            writer,
            RedisCache(redis, options.cache_ttl),
            SingleFlight(redis, **flight_args),
            RateLimiter(redis, **limiter_args),
            backend=redis.display_url,
        )

    @classmethod
    def from_options(
        cls,
        options: RedisOptions,
        write: Callable[[PreparedPersona], PersonaResult],
        writer: PersonaWriter,
        *,
        announce: bool = False,
    ) -> WriteOnce:
        """`announce` says once in the log where the cache lives: right for the bot, noise for one-shot commands."""
        gateway = cls.build(write, writer, options)
        if not options.url:
            if announce:
                log.warning("REDIS_URL not set: cache, single-flight and persona store are in-process")
            return gateway
        redis = shared_redis(options.url)
        # A ping at start puts an unreachable Redis in the log now rather than at the first user's request.
        if redis.ping() and announce:
            log.info("Cache, single-flight, rate limits and persona store use Redis at %s", redis.display_url)
        return gateway

    # --- personas ---------------------------------------------------------------------------------------------

    def key_for(self, prepared: PreparedPersona) -> str:
        return persona_key(
            fingerprint(
                prepared,
                model=self.writer.model_name,
                prompt_version=PERSONA_PROMPT_VERSION,
                lang=prepared.request.lang,
            )
        )

    def generate(
        self,
        prepared: PreparedPersona,
        *,
        refresh: bool = False,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> PersonaResult:
        """The persona for `prepared`: from the cache (meta.cached), or written once however many ask at once.

        `refresh` (Regenerate) skips the cache and replaces the entry. Only generations count against the rate
        limits, and only when a user or workspace is given.
        """
        key = self.key_for(prepared)
        if not refresh:
            hit = self.cache.get(key)
            metrics.CACHE_LOOKUPS.labels("miss" if hit is None else "hit").inc()
            if hit is not None:
                return hit
        self._check_rate(user_id, team_id)
        started = datetime.now(UTC)
        written: list[PersonaResult] = []

        def compute() -> PersonaResult:
            result = self._write(prepared)
            self._count_llm("persona", result.meta.writer, result.meta.note, result.meta.prompt_tokens,
                            result.meta.completion_tokens)
            self.cache.set(key, result, DEGRADED_TTL if self._degraded(result) else None)
            written.append(result)
            return result

        def lookup() -> PersonaResult | None:
            found = self.cache.get(key, count=False)
            # Regenerate must not settle for the entry it is replacing.
            if found is None or (refresh and found.meta.generated_at < started):
                return None
            return found

        result = self.single_flight.run(key, compute, lookup=lookup)
        if written:
            return result
        # Written for another request (here or on another replica): to this one it is a cached persona.
        return result.model_copy(update={"meta": result.meta.model_copy(update={"cached": True})})

    # --- follow-ups -------------------------------------------------------------------------------------------

    def followup_key(self, result: PersonaResult, kind: str, product: str | None = None) -> str:
        return followup_key(
            result.id, kind, product, model=self.writer.model_name, prompt_version=FOLLOWUP_PROMPT_VERSION
        )

    def followup(
        self,
        key: str,
        model: type[M],
        compute: Callable[[], M],
        *,
        refresh: bool = False,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> M:
        """A cached follow-up answer (`cached` is set on hits), written once per key however many ask at once."""
        if not refresh:
            hit = self._load(key, model)
            metrics.CACHE_LOOKUPS.labels("miss" if hit is None else "hit").inc()
            if hit is not None:
                return _mark_cached(hit)
        self._check_rate(user_id, team_id)
        made: list[M] = []

        def compute_and_store() -> M:
            value = compute()
            self._count_llm("followup", value.writer, value.note, 0, 0)
            self.cache.set_json(key, value.model_dump_json(), DEGRADED_TTL if value.note is not None else None)
            made.append(value)
            return value

        value = self.single_flight.run(key, compute_and_store, lookup=lambda: self._load(key, model))
        return value if made else _mark_cached(value)

    def _load(self, key: str, model: type[M]) -> M | None:
        raw = self.cache.get_json(key)
        if raw is None:
            return None
        try:
            return model.model_validate_json(raw)
        except ValueError:
            log.warning("Ignoring an unreadable follow-up cache entry %s", key)
            return None

    # --- operators --------------------------------------------------------------------------------------------

    def stats(self) -> CacheStats:
        return self.cache.stats()

    def clear(self) -> int:
        return self.cache.clear()

    # --- internals --------------------------------------------------------------------------------------------

    def _check_rate(self, user_id: str | None, team_id: str | None) -> None:
        # The limits protect the LLM budget: the offline writer costs nothing.
        if self.rate_limiter is not None and self.writer.kind == "llm":
            self.rate_limiter.check(user_id, team_id)

    def _count_llm(self, purpose: str, writer: str, note: str | None, prompt: int, completion: int) -> None:
        if self.writer.kind != "llm":
            return
        # An offline draft with a note is a generation the LLM failed, after the SDK's own retries.
        metrics.LLM_CALLS.labels(purpose, "ok" if writer == "llm" and not note else "failed").inc()
        metrics.LLM_TOKENS.labels("prompt").inc(prompt)
        metrics.LLM_TOKENS.labels("completion").inc(completion)

    def _degraded(self, result: PersonaResult) -> bool:
        return result.meta.note is not None or (self.writer.kind == "llm" and result.meta.writer != "llm")


def _mark_cached(value: M) -> M:
    return value.model_copy(update={"cached": True})
