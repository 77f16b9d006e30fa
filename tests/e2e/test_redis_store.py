from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis

from bot.chat import Turn
from bot.config import Settings
from bot.models import PersonaResult
from bot.offline_writer import OfflineWriter
from bot.redis_conn import ResilientRedis
from bot.redis_store import FEEDBACK_PREFIX, PERSONA_PREFIX, RECENT_PREFIX, THREAD_PREFIX, RedisStore, open_store
from bot.service import PersonaService
from bot.store import (
    RECENT_PER_USER,
    TURNS_PER_THREAD,
    Feedback,
    MemoryStore,
    PersonaRequest,
    StoredPersona,
    ThreadChat,
)
from bot.warehouse.duckdb import DuckDBWarehouse
from tests.support.redis_server import RedisServer, RedisSettings

DAY = 24 * 3600


@pytest.fixture(scope="module")
def result(sample_warehouse_file: Path) -> Iterator[PersonaResult]:
    warehouse = DuckDBWarehouse.open(sample_warehouse_file)
    settings = Settings(PERSONA_DUCKDB_PATH=sample_warehouse_file, _env_file=None)
    service = PersonaService(settings, warehouse, OfflineWriter())
    yield service.run(PersonaRequest(kind="segment", query="seg_001", lang="en"))
    warehouse.close()


def replica(server: RedisServer, ttl: int = 30 * DAY) -> RedisStore:
    """A store with its own connection and memory, as another process (or a restarted one) has."""
    return RedisStore(ResilientRedis(server.url, min_backoff=0.01, max_backoff=0.02), ttl)


def stored(result: PersonaResult, persona_id: str, user_id: str | None = "U1", minutes: int = 0) -> StoredPersona:
    at = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    meta = result.meta.model_copy(update={"generated_at": at})
    return StoredPersona(
        result=result.model_copy(update={"id": persona_id, "meta": meta}),
        request=PersonaRequest(kind="segment", query="seg_001", lang="en"),
        user_id=user_id,
    )


def test_any_replica_resolves_a_persona_also_after_a_restart(
    redis_server: RedisServer, client: Redis, result: PersonaResult
) -> None:
    replica(redis_server).put(stored(result, "p1"))
    found = replica(redis_server).get("p1")
    assert found is not None and found.result.id == "p1"
    assert found.result.profile == result.profile and found.request.query == "seg_001" and found.user_id == "U1"
    assert replica(redis_server).get("missing") is None


def test_personas_expire_after_the_store_ttl(redis_server: RedisServer, client: Redis, result: PersonaResult) -> None:
    replica(redis_server, ttl=3 * DAY).put(stored(result, "p1"))
    assert 3 * DAY - 5 <= client.ttl(PERSONA_PREFIX + "p1") <= 3 * DAY
    assert 3 * DAY - 5 <= client.ttl(RECENT_PREFIX + "U1") <= 3 * DAY


def test_recent_lists_newest_first_bounded_and_without_repeats(
    redis_server: RedisServer, client: Redis, result: PersonaResult
) -> None:
    store = replica(redis_server)
    for i in range(RECENT_PER_USER + 3):
        store.put(stored(result, f"p{i}", minutes=i))
    # A cache hit stores the same persona again: it moves to the top instead of appearing twice.
    store.put(stored(result, "p5", minutes=5))
    recent = replica(redis_server).recent("U1")
    ids = [r.persona_id for r in recent]
    assert len(ids) == RECENT_PER_USER == len(set(ids))
    assert ids[0] == "p5" and ids[1:4] == ["p12", "p11", "p10"]
    assert recent[0].title == "Fitness enthusiasts in Taipei" and recent[0].lang == "en"
    assert replica(redis_server).recent("U2") == []
    # Personas without a user are stored but listed nowhere.
    store.put(stored(result, "anon", user_id=None))
    assert store.get("anon") is not None
    assert client.keys(RECENT_PREFIX + "*") == [(RECENT_PREFIX + "U1").encode()]


def test_chart_refusals_and_thread_conversations_are_shared(redis_server: RedisServer, client: Redis) -> None:
    one, two = replica(redis_server), replica(redis_server)
    assert not two.charts_refused("T0NOCHARTS")
    one.refuse_charts("T0NOCHARTS")
    # Another replica (or this one after a restart) sends that workspace's cards without charts at once.
    assert two.charts_refused("T0NOCHARTS") and not two.charts_refused("T0OTHER")
    turns = [Turn(question=f"q{i}", answer=f"a{i}") for i in range(TURNS_PER_THREAD + 5)]
    one.put_thread("D1", "1.0", ThreadChat(persona_id="p1", turns=turns))
    shared = two.get_thread("D1", "1.0")
    assert shared is not None and shared.persona_id == "p1"
    assert [t.question for t in shared.turns] == [t.question for t in turns[-TURNS_PER_THREAD:]]
    assert two.get_thread("D1", "2.0") is None
    assert client.ttl(THREAD_PREFIX + "D1:1.0") > 0


def test_language_preferences_and_feedback_are_shared(
    redis_server: RedisServer, client: Redis, result: PersonaResult
) -> None:
    one, two = replica(redis_server), replica(redis_server)
    one.set_lang("U1", "zh-TW")
    assert two.get_lang("U1") == "zh-TW" and two.get_lang("U2") is None
    one.add_feedback(Feedback(persona_id="p1", user_id="U1", vote="up"))
    two.add_feedback(Feedback(persona_id="p1", user_id="U2", vote="down"))
    assert [(f.user_id, f.vote) for f in one.feedback("p1")] == [("U1", "up"), ("U2", "down")]
    assert json.loads(client.lindex(FEEDBACK_PREFIX + "p1", 0))["vote"] == "up"
    assert client.ttl(FEEDBACK_PREFIX + "p1") > 0


def test_store_keeps_answering_while_redis_is_down_and_shares_again_after(
    redis_server: RedisServer, client: Redis, result: PersonaResult
) -> None:
    store = replica(redis_server)
    store.put(stored(result, "before"))
    redis_server.kill()
    try:
        # Cards this replica made keep working; new ones are kept in process.
        assert store.get("before") is not None
        store.put(stored(result, "during", minutes=1))
        assert store.get("during") is not None
        assert [r.persona_id for r in store.recent("U1")] == ["during", "before"]
        store.set_lang("U1", "zh-CN")
        assert store.get_lang("U1") == "zh-CN"
        store.add_feedback(Feedback(persona_id="during", user_id="U1", vote="up"))
        assert [f.vote for f in store.feedback("during")] == ["up"]
    finally:
        redis_server.start()
    deadline = time.monotonic() + 5
    while not store.redis.ping():
        assert time.monotonic() < deadline, "Redis never came back"
        time.sleep(0.02)
    # The restarted Redis is empty, yet what was stored during the outage is still found here.
    assert store.get("during") is not None
    assert [f.vote for f in store.feedback("during")] == ["up"]
    store.put(stored(result, "after", minutes=2))
    assert replica(redis_server).get("after") is not None


def test_open_store_picks_redis_only_when_configured(redis_server: RedisServer, client: Redis) -> None:
    assert isinstance(open_store(RedisSettings(_env_file=None)), MemoryStore)
    store = open_store(RedisSettings(REDIS_URL=redis_server.url, PERSONA_STORE_TTL=60, _env_file=None))
    assert isinstance(store, RedisStore) and store.ttl == 60
