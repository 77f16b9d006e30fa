"""Section 9: the job queue. Web and workers apart against the work in the web process, in the same run.

- Ack bursts: N fresh requests at one instant, for the queue (web + workers) and the in-process design.
- Cards per second with 1, 2, 4 workers of fixed concurrency, everything uncached, at the LLM's fixed latency.
- The web process's memory while it acks those bursts and that throughput.
- Worker death → card: a worker SIGKILLed while the LLM writes its job; the time until the card arrives anyway.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field

from bench import phases
from bench.load import Sample, Users
from bench.stack import BotProcess, Design, Stack, start_llm


@dataclass
class CardRate(phases.Throughput):
    """Cards per second of `users` fresh requests sent at once to `workers` workers of `concurrency` threads."""

    workers: int = 1
    concurrency: int = 1


@dataclass
class Death:
    seconds: float | None  # from the SIGKILL to the card; None: no card within the wait
    cards: int  # cards the request got in all (exactly one is right)


@dataclass
class QueueFigures:
    redelivery_after: float
    death_llm_latency: float
    bursts: dict[str, dict[int, list[Sample]]] = field(default_factory=dict)
    web_rss_idle: int | None = None
    web_rss_peak: int | None = None
    rates: list[CardRate] = field(default_factory=list)
    deaths: list[Death] = field(default_factory=list)
    # Trials where the card came before the worker could be killed (too short an LLM latency); not counted.
    deaths_skipped: int = 0


def bursts(stack: Stack, design: Design, workload: phases.Workload, levels: dict[int, int],
           figures: QueueFigures, card_timeout: float) -> None:
    """Bursts of fresh requests against one design; for the queue also the web process's memory."""
    with stack.bot(design, name=f"{design}-bursts") as bot:
        users = Users(bot, stack.standin, card_timeout=card_timeout)
        phases.warm_up(users, workload)
        if design == "real":
            figures.web_rss_idle = phases.idle_rss(bot)[0]
        with phases.RssSampler(bot) as sampler:
            figures.bursts[design] = {count: phases.burst(users, workload, count, rounds)
                                      for count, rounds in levels.items()}
        if design == "real":
            figures.web_rss_peak = max(figures.web_rss_peak or 0, sampler.peak_worker)
        stack.standin.forget()


def card_rate(stack: Stack, workload: phases.Workload, workers: int, concurrency: int, requests: int,
              figures: QueueFigures, card_timeout: float) -> None:
    """`requests` fresh lists sent at once to `workers` workers of `concurrency` threads: cards per second."""
    with stack.bot("real", name=f"real-{workers}-workers", workers=workers, worker_concurrency=concurrency) as bot:
        users = Users(bot, stack.standin, card_timeout=card_timeout)
        # Every worker thread's first job pays for its connections; one warm-up request per thread.
        fresh = [workload.fresh_list() for _ in range(workers * concurrency)]
        users.run(len(fresh), 1, lambda i, r: fresh[i], "UQW")
        stack.standin.forget()
        texts = [workload.fresh_list() for _ in range(requests)]
        with phases.RssSampler(bot) as sampler:
            started = time.monotonic()
            samples = users.run(requests, 1, lambda i, r: texts[i], "UQ")
        last = max((s.card for s in samples if s.card is not None), default=started)
        figures.rates.append(CardRate(samples, last - started, requests, workers=workers, concurrency=concurrency))
        figures.web_rss_peak = max(figures.web_rss_peak or 0, sampler.peak_worker)
        stack.standin.forget()


def deaths(stack: Stack, workload: phases.Workload, trials: int, figures: QueueFigures, model: str) -> None:
    """Kills the worker writing a persona, `trials` times; each time a replacement worker starts."""
    llm = start_llm(figures.death_llm_latency, model)
    env = {"OPENAI_BASE_URL": f"{llm.url}/v1", "PERSONA_JOB_REDELIVERY_AFTER": str(figures.redelivery_after),
           # The dead worker's single-flight lock must lapse no later than its job comes back.
           "PERSONA_GENERATION_LOCK_TTL": str(min(15.0, figures.redelivery_after))}
    wait = figures.redelivery_after + figures.death_llm_latency * 2 + 30
    try:
        with stack.bot("real", env, name="real-deaths", workers=2, worker_concurrency=2) as bot:
            users = Users(bot, stack.standin, card_timeout=wait)
            phases.warm_up(users, workload)
            for _ in range(trials):
                _one_death(stack, bot, workload, figures, wait)
                stack.standin.forget()
    finally:
        llm.stop()


def _one_death(stack: Stack, bot: BotProcess, workload: phases.Workload, figures: QueueFigures,
               wait: float) -> None:
    name, channel, user = Users.new_id("RD"), Users.new_id("CD"), Users.new_id("UD")
    url = stack.standin.response_url(name, channel_id=channel, user_id=user)
    body, content_type = bot.sender.build_slash_command(workload.fresh_list(), user_id=user, channel_id=channel,
                                                        response_url=url)
    bot.sender.post(body, content_type)
    # The data part has arrived: the worker that has the job is now waiting for the LLM.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(a.kind == "progress" for a in stack.standin.arrivals(name)):
        time.sleep(0.01)
    victim = next((w for w in bot.workers if _jobs_in_hand(w.url) > 0), None)
    if victim is None or any(a.kind == "card" for a in stack.standin.arrivals(name)):
        figures.deaths_skipped += 1
        stack.standin.wait_final(name, wait)
        return
    killed_at = time.monotonic()
    victim.kill()
    bot.workers.remove(victim)
    arrivals = stack.standin.wait_final(name, wait)
    card = next((a for a in arrivals if a.kind == "card"), None)
    time.sleep(0.5)  # a second card would arrive now
    count = sum(1 for a in stack.standin.arrivals(name) if a.kind == "card")
    figures.deaths.append(Death(None if card is None else card.time - killed_at, count))
    bot.start_worker(2)


def _jobs_in_hand(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
            return int(json.loads(resp.read()).get("jobs_in_hand", 0))
    except (OSError, ValueError):
        return 0
