"""What Redis remembers about one job, so that running it again never shows the user anything twice.

A job is at-least-once: a worker that dies mid-job has its job delivered again. Everything a job shows in Slack
goes through numbered steps; each step's outcome (and the `ts` of a message it posted) is written here as soon as
Slack accepted it. A second run finds the first run's steps and replays them instead of repeating them: it updates
the message the first run posted, and once the job is marked delivered it does nothing at all.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from bot.redis_conn import KEY_PREFIX, ResilientRedis

JOB_PREFIX = KEY_PREFIX + "job:"

_PAYLOAD = "payload"
_ATTEMPTS = "attempts"
_DELIVERED = "delivered"


def job_key(job_id: str) -> str:
    return JOB_PREFIX + job_id


class JobRecord:
    """The Redis hash `persona:v1:job:<id>`: the payload, attempts, delivered marker and recorded steps."""

    def __init__(self, redis: ResilientRedis, job_id: str, ttl: int):
        self.redis = redis
        self.job_id = job_id
        self.key = job_key(job_id)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._next_step = 0

    # --- the payload ------------------------------------------------------------------------------------------

    def save_payload(self, payload: dict[str, Any]) -> bool:
        """False when Redis did not take it (the outage is noted, so the next callers do not wait on Redis)."""
        text = json.dumps(payload, ensure_ascii=False)

        def save(r: Any) -> bool:
            pipe = r.pipeline()
            pipe.hset(self.key, _PAYLOAD, text)
            pipe.expire(self.key, self.ttl)
            pipe.execute()
            return True

        return bool(self.redis.call(save, False))

    def payload(self) -> dict[str, Any] | None:
        raw = self.redis.client.hget(self.key, _PAYLOAD)
        if raw is None:
            return None
        value = json.loads(raw)
        return value if isinstance(value, dict) else None

    # --- runs -------------------------------------------------------------------------------------------------

    def start_attempt(self) -> int:
        """Counts this run (a run a dead worker never finished counts too) and returns its number, from 1."""
        return int(self.redis.client.hincrby(self.key, _ATTEMPTS, 1))

    def reset_for_retry(self) -> None:
        """An operator's retry: fresh tries, not delivered; the steps stay, so it updates the messages shown."""
        self.redis.client.hdel(self.key, _ATTEMPTS, _DELIVERED)

    def delivered(self) -> bool:
        return bool(self.redis.call(lambda r: r.hexists(self.key, _DELIVERED), False))

    def mark_delivered(self) -> None:
        self.redis.call(lambda r: r.hset(self.key, _DELIVERED, "1"), None)

    # --- steps ------------------------------------------------------------------------------------------------

    def next_step(self) -> tuple[int, dict[str, Any] | None]:
        """The number of the step this run is at, and what an earlier run recorded for it (None: not done)."""
        with self._lock:
            index = self._next_step
            self._next_step += 1
        raw = self.redis.call(lambda r: r.hget(self.key, f"step:{index}"), None)
        if raw is None:
            return index, None
        value = json.loads(raw)
        return index, value if isinstance(value, dict) else None

    def record_step(self, index: int, outcome: dict[str, Any]) -> None:
        self.redis.call(lambda r: r.hset(self.key, f"step:{index}", json.dumps(outcome)), None)

    def posted(self) -> list[str]:
        """The ts of every message the job's runs posted, in step order."""
        fields: dict[Any, Any] = self.redis.call(lambda r: r.hgetall(self.key), {})
        steps: list[tuple[int, str]] = []
        for name, raw in fields.items():
            name = name.decode() if isinstance(name, bytes) else str(name)
            if name.startswith("step:"):
                outcome = json.loads(raw)
                if isinstance(outcome, dict) and outcome.get("op") == "post" and outcome.get("ts"):
                    steps.append((int(name.removeprefix("step:")), str(outcome["ts"])))
        return [ts for _, ts in sorted(steps)]
