"""Section 9 of the report: the job queue, with the work-in-the-web-process design measured in the same run."""

from __future__ import annotations

from bench.load import Sample
from bench.measure_queue import QueueFigures
from bench.report import Section, Table, Verdict
from bench.stack import DESIGN_LABELS, WORKER_CONCURRENCY
from bench.stats import mb, ms, pct, ratio

TITLE = "Job queue: web and workers apart"
ACK_TARGET_MS = 100.0
LABELS = {"real": "web + 2 workers (job queue)", "in-process": DESIGN_LABELS["in-process"]}
WEB_RSS_TARGET_BYTES = 150_000_000


def queue_section(figures: QueueFigures | None, llm_latency: float) -> Section:
    s = Section(9, TITLE)
    if figures is None:
        s.notes.append("Not measured in this run.")
        return s
    s.intro = (
        f"*Bursts*: N fresh (uncached) requests sent at the same instant, LLM latency {llm_latency:g} s. The queue "
        f"design is `persona-bot serve` acking and queueing with 2 `persona-bot worker` processes of "
        f"{WORKER_CONCURRENCY} threads beside it; the in-process design is the same server with "
        "`PERSONA_JOBS=in-process`, doing the work in its own listener threads as before the queue. The workers and "
        "the LLM server stand for machines of their own: on these 2 cores they run at nice 10, so they use the CPU "
        "the web process leaves (the in-process design's web process does its own work at normal priority). *Cards per "
        f"second*: fresh requests sent at once to {', '.join(str(x.workers) for x in figures.rates)} workers of "
        "fixed concurrency; cards / (last card − first request). *Worker death*: a worker SIGKILLed while the LLM "
        f"writes its job (LLM latency {figures.death_llm_latency:g} s, "
        f"`PERSONA_JOB_REDELIVERY_AFTER={figures.redelivery_after:g}`); time from the kill to the card.")
    _bursts(s, figures)
    _rates(s, figures, llm_latency)
    _memory(s, figures)
    _deaths(s, figures)
    return s


def _acks(samples: list[Sample]) -> list[float]:
    return [x.ack_ms for x in samples]


def _bursts(s: Section, f: QueueFigures) -> None:
    table = Table(["design", "at once", "requests", "ack p50", "ack p99", "ack max", "card p50", "card max",
                   "not a card"])
    for design, levels in f.bursts.items():
        for count, samples in sorted(levels.items()):
            acks = _acks(samples)
            cards = [x.card_ms for x in samples if x.card_ms is not None]
            table.add(LABELS[design], count, len(samples), ms(pct(acks, 50)), ms(pct(acks, 99)),
                      ms(max(acks) if acks else None), ms(pct(cards, 50)), ms(max(cards) if cards else None),
                      sum(1 for x in samples if x.outcome != "card"))
    s.tables.append(table)
    queue, before = f.bursts.get("real", {}), f.bursts.get("in-process", {})
    for count in sorted(queue):
        p99 = pct(_acks(queue[count]), 99)
        old = pct(_acks(before.get(count, [])), 99)
        s.verdicts.append(Verdict(f"ack p99, {count} at once, web + workers", f"≤ {ACK_TARGET_MS:.0f} ms", ms(p99),
                                  None if p99 is None else p99 <= ACK_TARGET_MS))
        if old is not None:
            s.verdicts.append(Verdict(f"ack p99, {count} at once, work in the web process (same run)", "–",
                                      f"{ms(old)} ({ratio(old, p99)} the queue's)", None))


def _rates(s: Section, f: QueueFigures, llm_latency: float) -> None:
    if not f.rates:
        return
    table = Table(["workers", "threads each", "requests", "cards", "seconds", "cards/s", "vs 1 worker",
                   "LLM-bound ceiling", "not a card"])
    base = f.rates[0].per_second if f.rates else None
    for rate in f.rates:
        ceiling = rate.workers * rate.concurrency / llm_latency if llm_latency > 0 else None
        table.add(rate.workers, rate.concurrency, len(rate.samples), rate.cards, f"{rate.seconds:.1f}",
                  f"{rate.per_second:.1f}", ratio(rate.per_second, base),
                  "–" if ceiling is None else f"{ceiling:.0f}/s", len(rate.samples) - rate.cards)
        s.verdicts.append(Verdict(f"cards/s with {rate.workers} worker(s)", "scales with workers",
                                  f"{rate.per_second:.1f}", None))
    s.tables.append(table)
    s.notes.append("The ceiling is what the LLM latency allows: each worker thread holds one job for at least that "
                   "long. Below it, the 2 cores (shared with the bench's own load generator, stand-in and LLM "
                   "server) are the limit.")


def _memory(s: Section, f: QueueFigures) -> None:
    if f.web_rss_peak is None:
        return
    table = Table(["process", "idle (after warm-up)", "under load (peak)"])
    table.add("web process (`persona-bot serve`, queue on)", mb(f.web_rss_idle), mb(f.web_rss_peak))
    s.tables.append(table)
    s.verdicts.append(Verdict("web RSS under load", "≤ 150 MB", mb(f.web_rss_peak),
                              f.web_rss_peak <= WEB_RSS_TARGET_BYTES))


def _deaths(s: Section, f: QueueFigures) -> None:
    times = [d.seconds * 1000 for d in f.deaths if d.seconds is not None]
    table = Table(["trials", "card after the kill: median", "max", "no card", "more than one card",
                   "skipped (card before the kill)"])
    table.add(len(f.deaths), ms(pct(times, 50)), ms(max(times) if times else None),
              sum(1 for d in f.deaths if d.seconds is None), sum(1 for d in f.deaths if d.cards > 1),
              f.deaths_skipped)
    s.tables.append(table)
    bound = (f.redelivery_after + f.death_llm_latency + 5) * 1000
    worst = max(times) if times else None
    s.verdicts.append(Verdict("worker death → card, median", "–", ms(pct(times, 50)), None))
    s.verdicts.append(Verdict("worker death → card, max", f"≤ re-delivery + LLM + 5 s ({ms(bound)})", ms(worst),
                              None if worst is None else worst <= bound and len(times) == len(f.deaths)))
    s.verdicts.append(Verdict("requests with more than one card after a worker death", "0",
                              str(sum(1 for d in f.deaths if d.cards > 1)),
                              all(d.cards <= 1 for d in f.deaths) if f.deaths else None))
    s.notes.append(f"The re-delivery time here is {f.redelivery_after:g} s to keep the run short; the default is "
                   "60 s, and the time to the card grows with it one for one.")
