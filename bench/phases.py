"""The Slack-side measurements, each a short phase against one running bot."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from bench.llm_server import fetch_stats, reset_stats
from bench.load import Sample, Users
from bench.stack import BotProcess, Design, Stack
from bot.dataset import read_dataset, sample_dataset_dir


@dataclass
class Workload:
    """What the bench's users ask for: segments by name (10 apps each) and pasted lists of 10 catalog apps."""

    segments: list[str]
    apps: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _seen: set[str] = field(default_factory=set)

    @classmethod
    def sample(cls) -> Workload:
        dataset = read_dataset(sample_dataset_dir())
        sizes: dict[str, int] = {}
        for row in dataset.segment_apps:
            sizes[row.segment_id] = sizes.get(row.segment_id, 0) + 1
        segments = [s.name for s in dataset.segments if sizes.get(s.id) == 10]
        return cls(segments=segments, apps=[a.name for a in dataset.apps])

    def fresh_list(self, size: int = 10) -> str:
        """A pasted app list no earlier request used, so its persona is not cached anywhere."""
        while True:
            picked = self.rng.sample(self.apps, size)
            scores = sorted((round(self.rng.uniform(0.3, 0.99), 2) for _ in picked), reverse=True)
            text = ", ".join(f"{name} {score}" for name, score in zip(picked, scores, strict=True))
            if text not in self._seen:
                self._seen.add(text)
                return text


class RssSampler:
    """Samples the bot worker's resident memory every `interval` seconds while running."""

    def __init__(self, bot: BotProcess, interval: float = 0.1):
        self.bot, self.interval = bot, interval
        self.peak_worker = 0
        self.peak_master = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            worker, master = self.bot.rss()
            self.peak_worker = max(self.peak_worker, worker or 0)
            self.peak_master = max(self.peak_master, master or 0)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def warm_up(users: Users, workload: Workload) -> None:
    """First requests pay for imports, connection pools and the catalog; none of that is what is measured."""
    users.persona(workload.segments[-1], Users.new_id("UW"))
    users.persona(workload.fresh_list(), Users.new_id("UW"))


def sequential(users: Users, texts: list[str], prefix: str) -> list[Sample]:
    """One request at a time, each from a new user."""
    return [users.persona(text, Users.new_id(prefix)) for text in texts]


def uncached(users: Users, stack: Stack, design: Design, workload: Workload, n: int) -> list[Sample]:
    """Segments nobody asked for since the cache was emptied, one after the other."""
    stack.flush(design)
    names = [workload.segments[i % len(workload.segments)] for i in range(n)]
    return sequential(users, names, "UU")


def cached(users: Users, segment: str, n: int) -> list[Sample]:
    """A segment already in the cache, asked for by `n` different users one after the other."""
    users.persona(segment, Users.new_id("UC"))
    return sequential(users, [segment] * n, "UC")


@dataclass
class SingleFlight:
    samples: list[Sample]
    llm_calls: int

    @property
    def last_ms(self) -> float | None:
        times = [s.card_ms for s in self.samples]
        return None if not times or any(t is None for t in times) else max(t for t in times if t is not None)


def single_flight(users: Users, stack: Stack, design: Design, segment: str, n: int) -> SingleFlight:
    """`n` users asking for the same uncached segment at the same moment."""
    stack.flush(design)
    reset_stats(stack.llm.url)
    samples = users.run(n, 1, lambda i, r: segment, "US")
    return SingleFlight(samples, int(fetch_stats(stack.llm.url)["calls"]))


def ack_levels(users: Users, workload: Workload, levels: dict[int, int], think: float) -> dict[int, list[Sample]]:
    """For each number of concurrent users, that many users each sending `rounds` fresh (uncached) lists.

    Users arrive independently: random pauses of up to `think` seconds before each request.
    """
    results: dict[int, list[Sample]] = {}
    for count, rounds in levels.items():
        texts = {(i, r): workload.fresh_list() for i in range(count) for r in range(rounds)}
        results[count] = users.run(count, rounds, lambda i, r, texts=texts: texts[(i, r)], f"UA{count}X",
                                   think=think)
    return results


def burst(users: Users, workload: Workload, count: int, rounds: int) -> list[Sample]:
    """`count` fresh requests sent at the same instant, `rounds` times (each after the previous burst's cards)."""
    samples: list[Sample] = []
    for _ in range(rounds):
        texts = [workload.fresh_list() for _ in range(count)]
        samples += users.run(count, 1, lambda i, r, texts=texts: texts[i], f"UB{count}X")
    return samples


@dataclass
class Throughput:
    samples: list[Sample]
    seconds: float
    users: int

    @property
    def cards(self) -> int:
        return sum(1 for s in self.samples if s.outcome == "card")

    @property
    def per_second(self) -> float:
        return self.cards / self.seconds if self.seconds > 0 else 0.0


def throughput(users: Users, segment: str, count: int, seconds: float) -> Throughput:
    """`count` users asking for a cached segment as fast as their cards come, for `seconds`."""
    users.persona(segment, Users.new_id("UT"))
    samples, elapsed = users.run_for(count, seconds, lambda i, r: segment, "UT")
    return Throughput(samples, elapsed, count)


def idle_rss(bot: BotProcess, settle: float = 1.0) -> tuple[int | None, int | None]:
    time.sleep(settle)
    return bot.rss()
