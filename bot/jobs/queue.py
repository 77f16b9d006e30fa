"""The job queue between the process that acks a Slack request and the worker that does the work.

Dramatiq's Redis broker carries the messages (see docs/queue.md for why Dramatiq): a message holds only the job id,
which is the Slack request's id; the job's payload lives in the job record (`bot.jobs.record`), so neither the
queue nor the library's own log lines ever hold user text or a response_url. The broker gives at-least-once
delivery: a worker's fetched messages wait in a set of its own until acked, every worker heartbeats, and the
messages of a worker silent for `redelivery_after` go back to the queue at the next fetch of any live worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dramatiq import Actor, Message
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.middleware import CurrentMessage, Retries, TimeLimit
from redis import Redis

from bot.config import Settings
from bot.jobs.record import JobRecord
from bot.redis_conn import KEY_PREFIX, shared_redis

QUEUE_NAME = "slack"
ACTOR_NAME = "slack_job"
# Dramatiq's keys (the queue list, message hashes, heartbeats, acks) under our prefix, apart from everything else.
NAMESPACE = KEY_PREFIX + "queue"
FAILED_INDEX = KEY_PREFIX + "jobs:failed"
_FAILED_PREFIX = FAILED_INDEX + ":"


class QueueUnavailable(Exception):
    """Redis did not take a job."""


@dataclass(frozen=True)
class QueueOptions:
    url: str
    redelivery_after: float = 60.0
    max_tries: int = 3
    retry_backoff: float = 2.0
    time_limit: float = 300.0
    # How long a job's record and a failed job are kept.
    keep_for: int = 7 * 24 * 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueOptions:
        if settings.redis_url is None or not settings.redis_url.get_secret_value():
            raise ValueError("the job queue needs REDIS_URL")
        return cls(
            url=settings.redis_url.get_secret_value(),
            redelivery_after=settings.job_redelivery_after,
            max_tries=settings.job_max_tries,
            retry_backoff=settings.job_retry_backoff,
            time_limit=settings.job_time_limit,
            keep_for=settings.failed_job_ttl,
        )


@dataclass(frozen=True)
class FailedJob:
    job_id: str
    failed_at: float
    tries: int
    error: str
    flow: str


class JobQueue:
    def __init__(self, options: QueueOptions):
        self.options = options
        self.redis = shared_redis(options.url)
        self.broker = RedisBroker(
            # Bounded waits: a Redis that does not answer must fail an enqueue quickly, not hang a listener thread.
            client=Redis.from_url(options.url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=10),
            namespace=NAMESPACE,
            heartbeat_timeout=int(options.redelivery_after * 1000),
            # Dramatiq re-queues a dead worker's messages during "maintenance", by default on 0.1% of fetches,
            # which bounds nothing on a quiet queue. On every fetch it is two small sorted-set reads, and a dead
            # worker's jobs are back in the queue within a second of the heartbeat timeout.
            maintenance_chance=MAINTENANCE_SCALE,
            dead_message_ttl=options.keep_for * 1000,
            middleware=[
                CurrentMessage(),
                TimeLimit(time_limit=int(options.time_limit * 1000)),
                Retries(
                    max_retries=options.max_tries - 1,
                    min_backoff=int(options.retry_backoff * 1000),
                    max_backoff=int(max(options.retry_backoff, 60.0) * 1000),
                ),
            ],
        )
        self.broker.declare_queue(QUEUE_NAME)

    def record(self, job_id: str) -> JobRecord:
        return JobRecord(self.redis, job_id, self.options.keep_for)

    def enqueue(self, job_id: str, payload: dict[str, Any]) -> None:
        """Stores the payload, then queues the job. Raises QueueUnavailable when Redis does not take it."""
        # During an outage this answers at once: the web process then does the work itself.
        if not self.redis.available or not self.record(job_id).save_payload(payload):
            raise QueueUnavailable(f"Redis at {self.redis.display_url} did not take the job")
        self.broker.enqueue(Message(queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(job_id,), kwargs={},
                                    options={}, message_id=job_id))

    def declare(self, handler: Callable[[str], None]) -> Actor[Any, Any]:
        """The actor workers run for every job: `handler(job_id)`."""
        return Actor(handler, broker=self.broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, priority=0,
                     options={})

    def depth(self) -> int:
        """Jobs waiting: queued now, or waiting out a retry's backoff."""
        def count(r: Any) -> int:
            return int(r.llen(f"{NAMESPACE}:{QUEUE_NAME}")) + int(r.hlen(f"{NAMESPACE}:{QUEUE_NAME}.DQ.msgs"))

        return int(self.redis.call(count, 0))

    # --- failed for good ------------------------------------------------------------------------------------

    def record_failed(self, job_id: str, *, tries: int, error: str, flow: str) -> None:
        entry = {"job_id": job_id, "failed_at": time.time(), "tries": tries, "error": error, "flow": flow}
        pipe = self.redis.client.pipeline()
        pipe.set(_FAILED_PREFIX + job_id, json.dumps(entry), ex=self.options.keep_for)
        pipe.zadd(FAILED_INDEX, {job_id: entry["failed_at"]})
        pipe.execute()

    def failed(self) -> list[FailedJob]:
        """Failed jobs, oldest first; entries past their keep time are dropped from the index as they are met."""
        client = self.redis.client
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in client.zrange(FAILED_INDEX, 0, -1)]
        out: list[FailedJob] = []
        for job_id, raw in zip(ids, client.mget([_FAILED_PREFIX + i for i in ids]) if ids else [], strict=True):
            if raw is None:
                client.zrem(FAILED_INDEX, job_id)
                continue
            entry = json.loads(raw)
            out.append(FailedJob(job_id=job_id, failed_at=float(entry["failed_at"]), tries=int(entry["tries"]),
                                 error=str(entry["error"]), flow=str(entry.get("flow", ""))))
        return out

    def retry(self, job_id: str) -> bool:
        """Queues a failed job again with a fresh count of tries; False when no such failed job is kept."""
        client = self.redis.client
        if client.get(_FAILED_PREFIX + job_id) is None:
            return False
        record = self.record(job_id)
        payload = record.payload()
        if payload is None:
            return False
        record.reset_for_retry()
        self.enqueue(job_id, payload)
        client.delete(_FAILED_PREFIX + job_id)
        client.zrem(FAILED_INDEX, job_id)
        return True
