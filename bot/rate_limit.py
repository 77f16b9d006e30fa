"""Rate limits on LLM generations, per user and per workspace. Cache hits never count.

A fixed window per key that starts with its first generation: the counter's expiry is the window, so Redis forgets
idle users by itself. Both limits are checked and counted in one Lua script, so a refused request consumes nothing
and replicas cannot race past a limit. While Redis is down each process limits on its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Literal

from redis import Redis

from bot.errors import PersonaError
from bot.redis_conn import KEY_PREFIX, ResilientRedis

Scope = Literal["user", "team"]
SCOPES: tuple[Scope, ...] = ("user", "team")
RATE_PREFIX = KEY_PREFIX + "rl:"

# KEYS: the counters to check; ARGV: window in ms, then one limit per key.
# Returns {0, 0} when counted, or {index of the first exhausted key (1-based), ms until its window ends}.
CHECK_AND_COUNT = """
local window = tonumber(ARGV[1])
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[i + 1]) then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then
      redis.call('PEXPIRE', KEYS[i], window)
      left = window
    end
    return {i, left}
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], window) end
end
return {0, 0}
"""


class RateLimited(PersonaError):
    exit_code = 3

    def __init__(self, retry_after: int, scope: Scope = "user"):
        self.retry_after = retry_after
        self.scope = scope
        who = "You have" if scope == "user" else "Your workspace has"
        super().__init__(f"{who} reached the limit of new personas for now; try again in {retry_after} s.")


class RateLimiter:
    """`check(user_id, team_id)` counts one generation or raises `RateLimited`. A limit of 0 turns it off."""

    def __init__(
        self,
        redis: ResilientRedis | None = None,
        *,
        per_user: int = 20,
        per_team: int = 200,
        window: int = 3600,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.redis = redis
        self.limits: dict[Scope, int] = {"user": per_user, "team": per_team}
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (generations counted, window end on `clock`)
        self._local: dict[str, tuple[int, float]] = {}

    def check(self, user_id: str | None, team_id: str | None) -> None:
        ids: dict[Scope, str | None] = {"user": user_id, "team": team_id}
        checked = [(scope, RATE_PREFIX + f"{scope}:{ids[scope]}") for scope in SCOPES
                   if ids[scope] and self.limits[scope] > 0]
        if not checked:
            return
        refused: tuple[Scope, int] | bool | None = False  # False: Redis did not answer
        if self.redis is not None:
            refused = self.redis.call(lambda r: self._check_redis(r, checked), False)
        if refused is False:
            refused = self._check_local(checked)
        if isinstance(refused, tuple):
            scope, retry_after = refused
            raise RateLimited(retry_after, scope)

    def _check_redis(self, client: Redis, checked: list[tuple[Scope, str]]) -> tuple[Scope, int] | None:
        keys = [key for _, key in checked]
        args = [self.window * 1000, *(self.limits[scope] for scope, _ in checked)]
        index, left_ms = client.eval(CHECK_AND_COUNT, len(keys), *keys, *args)
        if int(index) == 0:
            return None
        return checked[int(index) - 1][0], max(1, math.ceil(int(left_ms) / 1000))

    def _check_local(self, checked: list[tuple[Scope, str]]) -> tuple[Scope, int] | None:
        now = self._clock()
        with self._lock:
            counts: dict[str, tuple[int, float]] = {}
            for scope, key in checked:
                used, ends = self._local.get(key, (0, now + self.window))
                if ends <= now:
                    used, ends = 0, now + self.window
                if used >= self.limits[scope]:
                    return scope, max(1, math.ceil(ends - now))
                counts[key] = (used + 1, ends)
            self._local.update(counts)
            # Idle keys would otherwise pile up for the life of the process.
            if len(self._local) > 10_000:
                self._local = {k: v for k, v in self._local.items() if v[1] > now}
            return None
