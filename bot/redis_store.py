"""The persona store in Redis, so a button click can be answered by any replica, also after a restart.

Personas and language preferences are also written to an in-process `MemoryStore`: while Redis is down the
replica still answers clicks on the cards it made, and a persona stored during an outage is found after it.
"""

from __future__ import annotations

import logging
from typing import TypeVar, cast

from pydantic import BaseModel, ValidationError
from redis import Redis

from bot.config import LANGS, Lang, Settings
from bot.redis_conn import DAY, KEY_PREFIX, RedisOptions, ResilientRedis, shared_redis
from bot.store import (
    RECENT_PER_USER,
    TURNS_PER_THREAD,
    Feedback,
    MemoryStore,
    PersonaStore,
    RecentPersona,
    StoredPersona,
    ThreadChat,
    persona_title,
)

log = logging.getLogger(__name__)

PERSONA_PREFIX = KEY_PREFIX + "persona:"
RECENT_PREFIX = KEY_PREFIX + "recent:"
FEEDBACK_PREFIX = KEY_PREFIX + "feedback:"
# One hash for all users: a preference is a few bytes and should outlive any TTL.
LANGS_KEY = KEY_PREFIX + "langs"
# Workspaces whose Slack refused a chart block; a set without TTL, as a workspace's clients change slowly.
NO_CHARTS_KEY = KEY_PREFIX + "no_charts"
THREAD_PREFIX = KEY_PREFIX + "thread:"

M = TypeVar("M", bound=BaseModel)


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _parse(model: type[M], raw: object, what: str) -> M | None:
    try:
        return model.model_validate_json(_text(raw))
    except ValidationError:
        log.warning("Ignoring an unreadable %s in Redis", what)
        return None


class RedisStore:
    """`PersonaStore` in Redis: personas and feedback expire after `ttl` seconds, recent lists with their owner."""

    def __init__(self, redis: ResilientRedis, ttl: int = 30 * DAY, *, fallback: MemoryStore | None = None):
        self.redis = redis
        self.ttl = ttl
        self.fallback = fallback or MemoryStore()

    def put(self, stored: StoredPersona) -> None:
        self.fallback.put(stored)
        persona_id = stored.result.id
        entry = None
        if stored.user_id:
            entry = RecentPersona(
                persona_id=persona_id,
                title=persona_title(stored),
                lang=stored.request.lang,
                created_at=stored.result.meta.generated_at,
            ).model_dump_json()

        def _put(r: Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.set(PERSONA_PREFIX + persona_id, stored.model_dump_json(), ex=self.ttl)
            if entry is not None:
                recent = RECENT_PREFIX + str(stored.user_id)
                # A cached persona keeps its id and timestamp, so the same entry again moves to the top, once.
                pipe.lrem(recent, 0, entry)
                pipe.lpush(recent, entry)
                pipe.ltrim(recent, 0, RECENT_PER_USER - 1)
                pipe.expire(recent, self.ttl)
            pipe.execute()

        self.redis.call(_put, None)

    def get(self, persona_id: str) -> StoredPersona | None:
        raw = self.redis.call(lambda r: r.get(PERSONA_PREFIX + persona_id), None)
        if raw is None:
            return self.fallback.get(persona_id)
        return _parse(StoredPersona, raw, "persona") or self.fallback.get(persona_id)

    def recent(self, user_id: str) -> list[RecentPersona]:
        raw = self.redis.call(lambda r: list(r.lrange(RECENT_PREFIX + user_id, 0, RECENT_PER_USER - 1)), None)
        if raw is None:
            return self.fallback.recent(user_id)
        entries = [_parse(RecentPersona, item, "recent persona") for item in raw]
        return [e for e in entries if e is not None]

    def set_lang(self, user_id: str, lang: Lang) -> None:
        self.fallback.set_lang(user_id, lang)
        self.redis.call(lambda r: r.hset(LANGS_KEY, user_id, lang), None)

    def get_lang(self, user_id: str) -> Lang | None:
        raw = self.redis.call(lambda r: r.hget(LANGS_KEY, user_id), None)
        if raw is None:
            return self.fallback.get_lang(user_id)
        value = _text(raw)
        return cast(Lang, value) if value in LANGS else None

    def add_feedback(self, feedback: Feedback) -> None:
        key = FEEDBACK_PREFIX + feedback.persona_id

        def _add(r: Redis) -> bool:
            pipe = r.pipeline(transaction=True)
            pipe.rpush(key, feedback.model_dump_json())
            pipe.expire(key, self.ttl)
            pipe.execute()
            return True

        if not self.redis.call(_add, False):
            # Kept here until the process ends; merged into what `feedback` returns.
            self.fallback.add_feedback(feedback)

    def feedback(self, persona_id: str) -> list[Feedback]:
        raw = self.redis.call(lambda r: list(r.lrange(FEEDBACK_PREFIX + persona_id, 0, -1)), None)
        local = self.fallback.feedback(persona_id)
        if raw is None:
            return local
        shared = [_parse(Feedback, item, "feedback") for item in raw]
        return [f for f in shared if f is not None] + local

    def refuse_charts(self, team_id: str) -> None:
        self.fallback.refuse_charts(team_id)
        self.redis.call(lambda r: r.sadd(NO_CHARTS_KEY, team_id), None)

    def put_thread(self, channel: str, thread_ts: str, chat: ThreadChat) -> None:
        self.fallback.put_thread(channel, thread_ts, chat)
        kept = chat.model_copy(update={"turns": chat.turns[-TURNS_PER_THREAD:]})
        key = f"{THREAD_PREFIX}{channel}:{thread_ts}"
        self.redis.call(lambda r: r.set(key, kept.model_dump_json(), ex=self.ttl), None)

    def get_thread(self, channel: str, thread_ts: str) -> ThreadChat | None:
        raw = self.redis.call(lambda r: r.get(f"{THREAD_PREFIX}{channel}:{thread_ts}"), None)
        if raw is None:
            return self.fallback.get_thread(channel, thread_ts)
        return _parse(ThreadChat, raw, "thread") or self.fallback.get_thread(channel, thread_ts)

    def charts_refused(self, team_id: str) -> bool:
        if self.fallback.charts_refused(team_id):
            return True
        return bool(self.redis.call(lambda r: r.sismember(NO_CHARTS_KEY, team_id), False))


def open_store(settings: Settings) -> PersonaStore:
    """The Redis store when REDIS_URL is set, else the in-process one."""
    options = RedisOptions.from_settings(settings)
    if options.url:
        return RedisStore(shared_redis(options.url), options.store_ttl)
    return MemoryStore()
