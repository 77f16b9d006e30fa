from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from bot.cache import CACHE_PREFIX, MemoryCache, RedisCache
from bot.config import Settings
from bot.followups import FollowUpReport, FollowUpService
from bot.models import PersonaResult
from bot.rate_limit import RateLimited
from bot.redis_conn import RedisOptions, ResilientRedis
from bot.service import PersonaService, PreparedPersona
from bot.store import PersonaRequest
from bot.write_once import DEGRADED_TTL, WriteOnce
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.redis_server import RedisServer, RedisSettings

SEGMENT = "seg_001"


@pytest.fixture
def fresh_llm(llm: FakeOpenAIServer) -> FakeOpenAIServer:
    llm.reset()
    llm.latency = 0.0
    return llm


def llm_settings(llm: FakeOpenAIServer, warehouse_file: Path, **extra: Any) -> dict[str, Any]:
    return {
        "OPENAI_API_KEY": "test",
        "OPENAI_BASE_URL": llm.url + "/v1",
        "PERSONA_DUCKDB_PATH": str(warehouse_file),
        "PERSONA_LLM_MAX_RETRIES": 0,
        "_env_file": None,
        **extra,
    }


@pytest.fixture(scope="module")
def service(llm: FakeOpenAIServer, sample_warehouse_file: Path) -> PersonaService:
    return PersonaService.from_settings(Settings(**llm_settings(llm, sample_warehouse_file)))


@pytest.fixture(scope="module")
def prepared(service: PersonaService) -> PreparedPersona:
    return service.prepare(service.ground_segment(service.find_segment(SEGMENT)), "en")


def in_process(service: PersonaService, **options: Any) -> WriteOnce:
    return WriteOnce.build(service.write, service.writer, RedisOptions(url=None, **options))


def replica(service: PersonaService, server: RedisServer, **options: Any) -> WriteOnce:
    """A generator with its own Redis connection, as another bot process has."""
    conn = ResilientRedis(server.url, min_backoff=0.05, max_backoff=0.1)
    return WriteOnce.build(service.write, service.writer, RedisOptions(url=server.url, **options), redis=conn)


# --- cache hits and misses ----------------------------------------------------------------------------------------


def test_in_process_second_request_is_a_free_cache_hit(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer
) -> None:
    generator = in_process(service)
    assert isinstance(generator.cache, MemoryCache) and generator.backend == "in-process"
    first = generator.generate(prepared)
    second = generator.generate(prepared)
    assert fresh_llm.calls == 1
    assert first.meta.cached is False and first.meta.writer == "llm"
    assert second.meta.cached is True
    assert second.id == first.id and second.meta.generated_at == first.meta.generated_at
    assert second.profile == first.profile


def test_replicas_share_the_cache_per_language(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis,
) -> None:
    first = replica(service, redis_server).generate(prepared)
    # A new process with the same REDIS_URL (another replica, or the CLI run again) gets the stored persona.
    again = replica(service, redis_server).generate(prepared)
    assert fresh_llm.calls == 1
    assert again.meta.cached is True and again.id == first.id
    assert len(client.keys(CACHE_PREFIX + "*")) == 1

    chinese = service.prepare(prepared.grounding, "zh-TW")
    other = replica(service, redis_server).generate(chinese)
    assert fresh_llm.calls == 2 and other.meta.cached is False and other.meta.lang == "zh-TW"
    stats = replica(service, redis_server).stats()
    assert (stats.personas, stats.hits, stats.misses) == (2, 1, 2)


def test_regenerate_bypasses_and_replaces_the_cached_persona(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis,
) -> None:
    generator = replica(service, redis_server)
    first = generator.generate(prepared)
    regenerated = generator.generate(prepared, refresh=True)
    assert fresh_llm.calls == 2
    assert regenerated.id != first.id and regenerated.meta.cached is False
    later = replica(service, redis_server).generate(prepared)
    assert fresh_llm.calls == 2 and later.id == regenerated.id and later.meta.cached is True


def test_an_offline_draft_after_an_llm_failure_is_kept_only_briefly(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis,
) -> None:
    fresh_llm.enqueue(Reply.status_code(500, {"error": {"message": "down", "type": "server_error"}}))
    result = replica(service, redis_server).generate(prepared)
    assert result.meta.writer == "offline" and result.meta.note
    (key,) = client.keys(CACHE_PREFIX + "*")
    assert 0 < client.ttl(key) <= DEGRADED_TTL


def test_concurrent_requests_in_one_process_make_one_call(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis,
) -> None:
    fresh_llm.latency = 0.5
    generator = replica(service, redis_server)
    results: list[PersonaResult] = []
    threads = [threading.Thread(target=lambda: results.append(generator.generate(prepared))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert fresh_llm.calls == 1
    assert len({r.id for r in results}) == 1 and len(results) == 5
    assert sorted(r.meta.cached for r in results) == [False, True, True, True, True]


# --- rate limits --------------------------------------------------------------------------------------------------


def test_rate_limits_count_generations_but_not_cache_hits(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis,
) -> None:
    generator = replica(service, redis_server, rate_limit_user=1, rate_limit_team=10)
    generator.generate(prepared, user_id="U1", team_id="T1")
    for _ in range(3):
        assert generator.generate(prepared, user_id="U1", team_id="T1").meta.cached is True
    with pytest.raises(RateLimited) as err:
        generator.generate(prepared, refresh=True, user_id="U1", team_id="T1")
    assert "try again in" in str(err.value) and err.value.retry_after > 0
    # Another replica enforces the same count; another user is free to regenerate.
    with pytest.raises(RateLimited):
        replica(service, redis_server, rate_limit_user=1).generate(prepared, refresh=True, user_id="U1")
    generator.generate(prepared, refresh=True, user_id="U2", team_id="T1")
    assert fresh_llm.calls == 2


def test_the_offline_writer_is_not_rate_limited(sample_warehouse_file: Path) -> None:
    offline = PersonaService.from_settings(Settings(PERSONA_DUCKDB_PATH=sample_warehouse_file, _env_file=None))
    generator = in_process(offline, rate_limit_user=1)
    ready = offline.prepare(offline.ground_segment(offline.find_segment(SEGMENT)), "en")
    ids = {generator.generate(ready, refresh=True, user_id="U1").id for _ in range(3)}
    assert len(ids) == 3


# --- follow-ups -------------------------------------------------------------------------------------------------


def test_followups_are_cached_per_persona_kind_and_product(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis,
) -> None:
    generator = replica(service, redis_server)
    persona = generator.generate(prepared)
    followups = FollowUpService(service.settings, service.warehouse, service.writer)
    fresh_llm.enqueue(*[Reply.json({"summary": "S", "points": ["a"], "next_actions": ["b"]})] * 2)
    key = generator.followup_key(persona, "competitor", "Acme Shoes")

    first = generator.followup(key, FollowUpReport, lambda: followups.write("competitor", persona, "Acme Shoes"))
    again = replica(service, redis_server).followup(
        replica(service, redis_server).followup_key(persona, "competitor", "  acme shoes"),
        FollowUpReport,
        lambda: followups.write("competitor", persona, "acme shoes"),
    )
    assert fresh_llm.calls == 2  # the persona and one analysis
    assert first.writer == "llm" and first.cached is False
    assert again.cached is True and again.summary == first.summary == "S"
    other = generator.followup(
        generator.followup_key(persona, "competitor", "Other"), FollowUpReport,
        lambda: followups.write("competitor", persona, "Other"),
    )
    assert fresh_llm.calls == 3 and other.cached is False


# --- choosing the backend -----------------------------------------------------------------------------------------


def test_from_settings_says_once_that_everything_is_in_process(
    service: PersonaService, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.write_once"):
        options = RedisOptions.from_settings(RedisSettings(_env_file=None))
        generator = PersonaService(service.settings, service.warehouse, service.writer, redis=options,
                                   announce=True).writes
        quiet = PersonaService.from_settings(RedisSettings(_env_file=None)).writes
    assert isinstance(generator.cache, MemoryCache) and isinstance(quiet.cache, MemoryCache)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["REDIS_URL not set: cache, single-flight and persona store are in-process"]


def test_from_settings_uses_redis_when_configured(
    service: PersonaService, redis_server: RedisServer, client: Redis
) -> None:
    settings = RedisSettings(REDIS_URL=redis_server.url, PERSONA_CACHE_TTL=90, _env_file=None)
    generator = PersonaService(service.settings, service.warehouse, service.writer,
                               redis=RedisOptions.from_settings(settings)).writes
    assert isinstance(generator.cache, RedisCache) and generator.cache.ttl == 90
    assert generator.backend == redis_server.url


# --- Redis failing mid-run ----------------------------------------------------------------------------------------


def test_redis_killed_mid_run_then_restarted(
    service: PersonaService, prepared: PreparedPersona, fresh_llm: FakeOpenAIServer, redis_server: RedisServer,
    client: Redis, caplog: pytest.LogCaptureFixture,
) -> None:
    generator = replica(service, redis_server)
    cache = generator.cache
    assert isinstance(cache, RedisCache)
    with caplog.at_level(logging.INFO, logger="bot.redis_conn"):
        generator.generate(prepared)
        redis_server.kill()
        try:
            during = generator.generate(prepared)  # the shared cache is gone: generated here instead
            assert during.meta.cached is False and fresh_llm.calls == 2
            again = generator.generate(prepared)  # the in-process fallback serves it meanwhile
            assert again.meta.cached is True and again.id == during.id and fresh_llm.calls == 2
        finally:
            redis_server.start()
        deadline = time.monotonic() + 5
        while not cache.redis.ping():
            assert time.monotonic() < deadline, "Redis never came back"
            time.sleep(0.02)
        after = generator.generate(prepared)
    # The restarted Redis is empty: a new generation, stored for every replica again.
    assert after.meta.cached is False and fresh_llm.calls == 3
    shared = replica(service, redis_server).generate(prepared)
    assert shared.meta.cached is True and shared.id == after.id and fresh_llm.calls == 3
    levels = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert sum(1 for level, _ in levels if level == logging.WARNING) == 1
    assert any("is back" in message for _, message in levels)


# --- several processes --------------------------------------------------------------------------------------------


def _generate_in_child(settings: dict[str, Any], barrier: Any, out: Any) -> None:
    service = PersonaService.from_settings(RedisSettings(**settings))
    request = PersonaRequest(kind="segment", query=SEGMENT, lang="en", team_id="T1")
    barrier.wait(60)
    result = service.run(request, user_id="U1")
    out.put((result.id, result.meta.cached, result.meta.writer))


def test_identical_requests_from_several_processes_make_one_llm_call(
    fresh_llm: FakeOpenAIServer, redis_server: RedisServer, client: Redis, sample_warehouse_file: Path
) -> None:
    fresh_llm.latency = 1.0
    settings = llm_settings(
        fresh_llm, sample_warehouse_file, REDIS_URL=redis_server.url, PERSONA_GENERATION_LOCK_TTL=5.0
    )
    ctx = multiprocessing.get_context("spawn")
    workers = 4
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    processes = [ctx.Process(target=_generate_in_child, args=(settings, barrier, out)) for _ in range(workers)]
    for p in processes:
        p.start()
    try:
        results = [out.get(timeout=60) for _ in range(workers)]
    finally:
        for p in processes:
            p.join(10)
            if p.is_alive():
                p.kill()
    assert fresh_llm.calls == 1
    assert len({persona_id for persona_id, _, _ in results}) == 1
    assert sorted(cached for _, cached, _ in results) == [False, True, True, True]
    assert {writer for _, _, writer in results} == {"llm"}
    assert all(p.exitcode == 0 for p in processes)
