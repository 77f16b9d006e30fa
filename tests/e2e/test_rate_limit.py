from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from redis import Redis

from bot.errors import PersonaError
from bot.rate_limit import RATE_PREFIX, RateLimited, RateLimiter
from bot.redis_conn import ResilientRedis
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def redis_limiter(server: RedisServer, **limits: int) -> RateLimiter:
    return RateLimiter(ResilientRedis(server.url), **limits)


def dead_redis() -> ResilientRedis:
    return ResilientRedis(f"redis://127.0.0.1:{free_port()}/0")


def test_rate_limited_is_a_friendly_persona_error() -> None:
    err = RateLimited(42, "team")
    assert isinstance(err, PersonaError)
    assert err.retry_after == 42 and err.scope == "team"
    assert "try again in 42 s" in str(err) and "workspace" in str(err)
    assert "try again in 7 s" in str(RateLimited(7))


def test_per_user_limit_is_shared_by_replicas(redis_server: RedisServer, client: Redis) -> None:
    one = redis_limiter(redis_server, per_user=3, per_team=100, window=600)
    two = redis_limiter(redis_server, per_user=3, per_team=100, window=600)
    one.check("U1", "T1")
    two.check("U1", "T1")
    one.check("U1", "T1")
    with pytest.raises(RateLimited) as err:
        two.check("U1", "T1")
    assert err.value.scope == "user"
    assert 590 <= err.value.retry_after <= 600
    # Another user of the same workspace is not affected.
    one.check("U2", "T1")
    assert int(client.get(RATE_PREFIX + "team:T1")) == 4


def test_per_team_limit_covers_all_its_users(redis_server: RedisServer, client: Redis) -> None:
    limiter = redis_limiter(redis_server, per_user=10, per_team=2, window=600)
    limiter.check("U1", "T1")
    limiter.check("U2", "T1")
    with pytest.raises(RateLimited) as err:
        limiter.check("U3", "T1")
    assert err.value.scope == "team"
    # A refused request consumes nothing: U3 has no count yet.
    assert client.get(RATE_PREFIX + "user:U3") is None
    limiter.check("U3", "T2")


def test_counters_expire_with_their_window(redis_server: RedisServer, client: Redis) -> None:
    limiter = redis_limiter(redis_server, per_user=1, per_team=0, window=600)
    limiter.check("U1", "T1")
    assert 595 <= client.ttl(RATE_PREFIX + "user:U1") <= 600
    # A limit of 0 turns that scope off: no workspace counter at all.
    assert client.exists(RATE_PREFIX + "team:T1") == 0
    with pytest.raises(RateLimited):
        limiter.check("U1", "T1")
    client.pexpire(RATE_PREFIX + "user:U1", 1)  # the window ends
    wait_until(lambda: client.exists(RATE_PREFIX + "user:U1") == 0)
    limiter.check("U1", "T1")


def test_without_ids_nothing_is_limited(redis_server: RedisServer, client: Redis) -> None:
    limiter = redis_limiter(redis_server, per_user=1, per_team=1, window=600)
    for _ in range(3):
        limiter.check(None, None)
    assert client.dbsize() == 0


def test_in_process_fallback_limits_and_forgets_after_the_window() -> None:
    clock = Clock()
    limiter = RateLimiter(dead_redis(), per_user=2, per_team=100, window=60, clock=clock)
    limiter.check("U1", "T1")
    limiter.check("U1", "T1")
    clock.now += 20
    with pytest.raises(RateLimited) as err:
        limiter.check("U1", "T1")
    assert err.value.retry_after == 40
    clock.now += 40
    limiter.check("U1", "T1")


def test_in_process_limiter_refusal_consumes_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(None, per_user=2, per_team=1, window=60, clock=clock)
    limiter.check("U1", "T1")
    for _ in range(3):
        with pytest.raises(RateLimited) as err:
            limiter.check("U2", "T1")
        assert err.value.scope == "team"
    # Had the refusals counted, U2 would be over its own limit already.
    limiter.check("U2", "T2")
    limiter.check("U2", "T3")
    with pytest.raises(RateLimited) as err:
        limiter.check("U2", "T4")
    assert err.value.scope == "user"


def test_limits_hold_while_redis_is_down_and_shared_again_after(redis_server: RedisServer) -> None:
    conn = ResilientRedis(redis_server.url, min_backoff=0.01, max_backoff=0.02)
    limiter = RateLimiter(conn, per_user=1, per_team=100, window=600)
    redis_server.kill()
    try:
        limiter.check("U1", "T1")
        with pytest.raises(RateLimited):
            limiter.check("U1", "T1")
    finally:
        redis_server.start()
    # Back on Redis (empty after the restart): the shared counter starts afresh and is enforced across replicas.
    wait_until(conn.ping)
    limiter.check("U1", "T1")
    with pytest.raises(RateLimited):
        redis_limiter(redis_server, per_user=1, per_team=100, window=600).check("U1", "T1")
