"""How many requests each measurement makes: the default run, a quick one for development, a tiny one for tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scale:
    name: str
    # Concurrent users → rounds each (every round a fresh, uncached request).
    ack_levels: dict[int, int] = field(default_factory=lambda: {1: 20, 10: 5, 50: 4})
    # Bursts of top-level-many requests at one instant: the worst case for the ack.
    burst_rounds: int = 3
    cached_requests: int = 50
    uncached_requests: int = 12
    single_flight_users: int = 20
    throughput_users: int = 20
    throughput_seconds: float = 10.0
    naive_ack_levels: dict[int, int] = field(default_factory=lambda: {50: 2})
    naive_cached_requests: int = 10
    naive_uncached_requests: int = 6
    warehouse_reps: int = 200
    bigquery_reps: int = 20
    # Section 9, the job queue: bursts (size → rounds) for the queue and the in-process design; cards per second
    # with each number of workers of `queue_concurrency` threads; worker deaths with this re-delivery time.
    queue_bursts: dict[int, int] = field(default_factory=lambda: {50: 3, 100: 3})
    queue_workers: tuple[int, ...] = (1, 2, 4)
    queue_concurrency: int = 4
    queue_requests: int = 48
    death_trials: int = 5
    redelivery_after: float = 10.0

    @property
    def top_level(self) -> int:
        return max(self.ack_levels)


DEFAULT = Scale("default")
QUICK = Scale(
    "quick",
    ack_levels={1: 3, 10: 2, 50: 1},
    burst_rounds=1,
    cached_requests=20,
    uncached_requests=4,
    throughput_users=10,
    throughput_seconds=3.0,
    naive_ack_levels={50: 1},
    naive_cached_requests=3,
    naive_uncached_requests=2,
    warehouse_reps=50,
    bigquery_reps=5,
    queue_bursts={50: 1, 100: 1},
    queue_requests=24,
    death_trials=2,
)
# For the smoke test: every measurement runs, each with a handful of requests.
TINY = Scale(
    "tiny",
    ack_levels={1: 2, 3: 1},
    burst_rounds=1,
    cached_requests=3,
    uncached_requests=2,
    single_flight_users=4,
    throughput_users=2,
    throughput_seconds=1.0,
    naive_ack_levels={3: 1},
    naive_cached_requests=2,
    naive_uncached_requests=1,
    warehouse_reps=5,
    bigquery_reps=0,
    queue_bursts={3: 1, 5: 1},
    queue_workers=(1, 2),
    queue_concurrency=2,
    queue_requests=4,
    death_trials=1,
    redelivery_after=2.0,
)
SCALES = {s.name: s for s in (DEFAULT, QUICK, TINY)}
