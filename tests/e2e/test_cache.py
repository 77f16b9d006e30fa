from __future__ import annotations

import argparse
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cache import (
    CACHE_PREFIX,
    FOLLOWUP_PREFIX,
    CacheUnavailable,
    MemoryCache,
    RedisCache,
    fingerprint,
    followup_key,
    persona_key,
)
from bot.cli_cache import add_cache_commands
from bot.config import Settings
from bot.models import PersonaResult
from bot.offline_writer import OfflineWriter
from bot.redis_conn import ResilientRedis, redact_url
from bot.service import PersonaService, PreparedPersona
from bot.warehouse.duckdb import DuckDBWarehouse
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer, RedisSettings

KEY = re.compile(r"^persona:v1:cache:[0-9a-f]{64}$")


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[ResilientRedis]:
    if redis_server.process is None:
        redis_server.start()
    redis_server.client().flushdb()
    conn = ResilientRedis(redis_server.url, min_backoff=0.05, max_backoff=0.2)
    yield conn
    conn.client.close()


@pytest.fixture(scope="module")
def service(sample_warehouse_file: Path) -> Iterator[PersonaService]:
    warehouse = DuckDBWarehouse.open(sample_warehouse_file)
    settings = Settings(PERSONA_DUCKDB_PATH=sample_warehouse_file, _env_file=None)
    yield PersonaService(settings, warehouse, OfflineWriter())
    warehouse.close()


@pytest.fixture(scope="module")
def prepared(service: PersonaService) -> PreparedPersona:
    return service.prepare(service.ground_segment(service.find_segment("seg_001")), "en")


@pytest.fixture(scope="module")
def result(service: PersonaService, prepared: PreparedPersona) -> PersonaResult:
    return service.write(prepared)


def _fp(prepared: PreparedPersona, **overrides: str) -> str:
    args = {"model": "gpt-4.1-mini", "prompt_version": "persona-v1", "lang": "en", **overrides}
    return fingerprint(prepared, **args)


# --- keys ---------------------------------------------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_retrieval(service: PersonaService, prepared: PreparedPersona) -> None:
    again = service.prepare(service.ground_segment(service.find_segment("Fitness enthusiasts in Taipei")), "en")
    assert _fp(again) == _fp(prepared)
    assert KEY.match(persona_key(_fp(prepared)))


def test_fingerprint_changes_with_everything_that_shapes_the_persona(prepared: PreparedPersona) -> None:
    base = _fp(prepared)
    assert _fp(prepared, lang="zh-TW") != base
    assert _fp(prepared, model="another-model") != base
    assert _fp(prepared, prompt_version="persona-v2") != base

    apps = list(prepared.grounding.apps)
    apps[0] = apps[0].model_copy(update={"score": (apps[0].score or 0) - 0.1})
    rescored = PreparedPersona(
        grounding=prepared.grounding.model_copy(update={"apps": apps}),
        demographics=prepared.demographics,
        request=prepared.request,
    )
    assert _fp(rescored) != base

    shifted = dict(prepared.demographics.gender)
    first = next(iter(shifted))
    shifted[first] += 1
    other = PreparedPersona(
        grounding=prepared.grounding,
        demographics=prepared.demographics.model_copy(update={"gender": shifted}),
        request=prepared.request,
    )
    assert _fp(other) != base


def test_fingerprint_ignores_how_names_were_typed_and_holds_no_user_text(service: PersonaService) -> None:
    typed = service.prepare(service.ground_apps("keep 0.9, 小红书 0.8, MySecretToken 0.5"), "en")
    shouted = service.prepare(service.ground_apps("KEEP   0.9\n小红书 0.8\nMySecretToken 0.5"), "en")
    assert _fp(typed) == _fp(shouted)
    key = persona_key(_fp(typed))
    assert KEY.match(key) and "MySecretToken" not in key

    other_score = service.prepare(service.ground_apps("keep 0.9, 小红书 0.7, MySecretToken 0.5"), "en")
    assert _fp(other_score) != _fp(typed)


def test_followup_key_hashes_the_product_and_follows_the_persona() -> None:
    key = followup_key("abc123", "competitor", "  My Product ", model="m", prompt_version="followup-v1")
    assert key.startswith(FOLLOWUP_PREFIX) and "Product" not in key
    assert key == followup_key("abc123", "competitor", "my   product", model="m", prompt_version="followup-v1")
    assert key != followup_key("abc124", "competitor", "my product", model="m", prompt_version="followup-v1")
    assert key != followup_key("abc123", "competitor", "my product", model="m", prompt_version="followup-v2")
    assert key != followup_key("abc123", "partnership", None, model="m", prompt_version="followup-v1")


# --- in-process cache ---------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_cache_hit_is_marked_cached_and_keeps_id_and_time(result: PersonaResult) -> None:
    cache = MemoryCache(ttl=60)
    assert cache.get("persona:v1:cache:x") is None
    cache.set("persona:v1:cache:x", result)
    hit = cache.get("persona:v1:cache:x")
    assert hit is not None and hit.meta.cached is True
    assert hit.id == result.id and hit.meta.generated_at == result.meta.generated_at
    assert hit.profile == result.profile
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.personas) == (1, 1, 1)


def test_memory_cache_entries_expire_after_their_ttl(result: PersonaResult) -> None:
    clock = Clock()
    cache = MemoryCache(ttl=60, clock=clock)
    cache.set("a", result)
    cache.set("b", result, ttl=5)
    clock.now += 5
    assert cache.get("b") is None
    assert cache.get("a") is not None
    clock.now += 55
    assert cache.get("a") is None


def test_memory_cache_is_bounded_least_recently_used_first() -> None:
    cache = MemoryCache(ttl=60, max_entries=2)
    cache.set_json("a", "1")
    cache.set_json("b", "2")
    assert cache.get_json("a") == "1"  # a is now more recent than b
    cache.set_json("c", "3")
    assert cache.get_json("b") is None
    assert (cache.get_json("a"), cache.get_json("c")) == ("1", "3")


# --- Redis cache --------------------------------------------------------------------------------------------------


def test_redis_cache_round_trip_and_sharing_between_replicas(
    redis: ResilientRedis, redis_server: RedisServer, result: PersonaResult
) -> None:
    key = persona_key("f" * 64)
    first = RedisCache(redis, ttl=3600)
    assert first.get(key) is None
    first.set(key, result)
    other_replica = RedisCache(ResilientRedis(redis_server.url), ttl=3600)
    hit = other_replica.get(key)
    assert hit is not None and hit.meta.cached is True and hit.id == result.id
    assert hit.meta.generated_at == result.meta.generated_at
    # Stored as plain JSON of the result, not marked cached.
    stored = json.loads(redis_server.client().get(key))
    assert stored["id"] == result.id and stored["meta"]["cached"] is False


def test_redis_cache_sets_the_ttl(redis: ResilientRedis, redis_server: RedisServer, result: PersonaResult) -> None:
    cache = RedisCache(redis, ttl=7 * 24 * 3600)
    cache.set("persona:v1:cache:long", result)
    cache.set("persona:v1:cache:short", result, ttl=120)
    client = redis_server.client()
    assert 7 * 24 * 3600 - 5 <= client.ttl("persona:v1:cache:long") <= 7 * 24 * 3600
    assert 115 <= client.ttl("persona:v1:cache:short") <= 120


def test_redis_cache_entry_is_gone_after_its_ttl(redis: ResilientRedis, result: PersonaResult) -> None:
    cache = RedisCache(redis, ttl=1)
    cache.set("persona:v1:cache:brief", result)
    assert cache.get("persona:v1:cache:brief") is not None
    deadline = time.monotonic() + 5
    while cache.get("persona:v1:cache:brief") is not None:
        assert time.monotonic() < deadline, "entry did not expire"
        time.sleep(0.1)


def test_unreadable_entry_is_a_miss(redis: ResilientRedis, redis_server: RedisServer) -> None:
    redis_server.client().set("persona:v1:cache:bad", '{"id": 1}')
    assert RedisCache(redis, ttl=60).get("persona:v1:cache:bad") is None


def test_clear_removes_only_cached_words(
    redis: ResilientRedis, redis_server: RedisServer, result: PersonaResult
) -> None:
    cache = RedisCache(redis, ttl=60)
    for i in range(3):
        cache.set(f"{CACHE_PREFIX}{i}", result)
    cache.set_json(FOLLOWUP_PREFIX + "x", "{}")
    client = redis_server.client()
    client.set("someone-else:key", "1")
    client.set("persona:v1:persona:abc", "{}")
    assert cache.clear() == 4
    assert client.exists("someone-else:key", "persona:v1:persona:abc") == 2
    assert cache.get_json(FOLLOWUP_PREFIX + "x") is None


def test_stats_count_entries_hits_and_misses(redis: ResilientRedis, result: PersonaResult) -> None:
    cache = RedisCache(redis, ttl=60)
    cache.set(CACHE_PREFIX + "a", result)
    cache.set_json(FOLLOWUP_PREFIX + "b", "{}")
    cache.get(CACHE_PREFIX + "a")
    cache.get(CACHE_PREFIX + "a")
    cache.get(CACHE_PREFIX + "nope")
    cache.get(CACHE_PREFIX + "a", count=False)
    stats = cache.stats()
    assert (stats.backend, stats.available) == ("redis", True)
    assert (stats.personas, stats.followups, stats.hits, stats.misses) == (1, 1, 2, 1)
    assert stats.memory


# --- Redis unavailable --------------------------------------------------------------------------------------------


def test_unreachable_redis_falls_back_warns_once_and_hides_the_password(
    result: PersonaResult, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0"
    conn = ResilientRedis(url, min_backoff=0.01, max_backoff=0.02)
    cache = RedisCache(conn, ttl=60)
    with caplog.at_level(logging.INFO, logger="bot"):
        for _ in range(3):
            cache.set(CACHE_PREFIX + "k", result)
            hit = cache.get(CACHE_PREFIX + "k")
            assert hit is not None and hit.id == result.id
            time.sleep(0.03)  # past the backoff, so every round really tries Redis again
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "in-process fallback" in warnings[0].getMessage()
    assert "s3cret-pass" not in caplog.text
    assert conn.in_outage and not cache.stats().available
    with pytest.raises(CacheUnavailable):
        cache.clear()


def test_redact_url_keeps_everything_but_the_password() -> None:
    assert redact_url("redis://user:pw@host:6380/2") == "redis://user:***@host:6380/2"
    assert redact_url("rediss://:pw@host/0") == "rediss://***@host/0"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"


def test_connection_recovers_by_itself_after_a_restart(
    redis_server: RedisServer, result: PersonaResult, caplog: pytest.LogCaptureFixture
) -> None:
    conn = ResilientRedis(redis_server.url, min_backoff=0.05, max_backoff=0.1)
    cache = RedisCache(conn, ttl=60)
    cache.set(CACHE_PREFIX + "before", result)
    with caplog.at_level(logging.INFO, logger="bot.redis_conn"):
        redis_server.kill()
        assert cache.get(CACHE_PREFIX + "before") is None  # the in-process fallback never saw it
        assert conn.in_outage
        redis_server.start()
        deadline = time.monotonic() + 5
        while conn.in_outage:
            assert time.monotonic() < deadline, "never recovered"
            conn.ping()
            time.sleep(0.05)
    cache.set(CACHE_PREFIX + "after", result)
    assert redis_server.client().exists(CACHE_PREFIX + "after") == 1
    assert any("is back" in r.getMessage() for r in caplog.records)


# --- operator commands ------------------------------------------------------------------------------------------


def _cli(argv: list[str], settings: Settings) -> int:
    parser = argparse.ArgumentParser(prog="persona-bot")
    add_cache_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args, settings))


def test_cache_commands_show_and_clear_this_apps_keys(
    redis: ResilientRedis, redis_server: RedisServer, result: PersonaResult, capsys: pytest.CaptureFixture[str]
) -> None:
    RedisCache(redis, ttl=60).set(CACHE_PREFIX + "a", result)
    redis_server.client().set("unrelated", "1")
    settings = RedisSettings(REDIS_URL=redis_server.url, _env_file=None)

    assert _cli(["cache", "stats", "--format", "json"], settings) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["personas"] == 1 and stats["available"] is True and stats["redis"] == redis_server.url

    assert _cli(["cache", "clear"], settings) == 0
    assert "Removed 1 " in capsys.readouterr().out
    assert redis_server.client().exists("unrelated") == 1

    assert _cli(["cache", "stats"], settings) == 0
    table = capsys.readouterr().out
    assert re.search(r"cached personas\s+0", table)


def test_cache_commands_without_redis_say_the_cache_is_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    settings = RedisSettings(_env_file=None)
    assert _cli(["cache", "stats"], settings) == 0
    assert "REDIS_URL is not set" in capsys.readouterr().out
    assert _cli(["cache", "clear"], settings) == 0
    assert "Nothing shared to clear" in capsys.readouterr().out


def test_cache_stats_fails_clearly_when_redis_is_unreachable() -> None:
    settings = RedisSettings(REDIS_URL=f"redis://:pw@127.0.0.1:{free_port()}/0", _env_file=None)
    with pytest.raises(CacheUnavailable, match=r"redis://\*\*\*@127\.0\.0\.1"):
        _cli(["cache", "stats"], settings)
