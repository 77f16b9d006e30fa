"""Turns the measurements into report sections, verdicts against the targets, and the naive-design comparison."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.load import Sample
from bench.measure_queue import QueueFigures
from bench.measure_tokens import TokenFigures
from bench.measure_warehouse import Retrieval
from bench.phases import SingleFlight, Throughput
from bench.prices import Price
from bench.queue_section import TITLE as QUEUE_TITLE
from bench.queue_section import queue_section
from bench.report import Section, Table, Verdict
from bench.scale import Scale
from bench.stack import DESIGN_LABELS
from bench.stats import mb, ms, pct, ratio

ACK_TARGET_MS = 100.0
ACK_TARGET_USERS = 50
CACHED_TARGET_MS = 50.0
OVERHEAD_TARGET_MS = 150.0
FIRST_CONTENT_TARGET_MS = 500.0
RSS_TARGET_BYTES = 200_000_000
SLACK_ACK_LIMIT_MS = 3000.0
TITLES = {
    1: "Ack latency of /persona",
    2: "Cached card: request → card at the Slack stand-in",
    3: "Uncached overhead: time to card minus the LLM's latency",
    4: "First useful content: the data part before the LLM answers",
    5: "Single-flight: identical concurrent requests",
    6: "Cache-hit throughput and memory",
    7: "Tokens and cost per persona",
    8: "Warehouse retrieval for a segment",
    9: QUEUE_TITLE,
}


@dataclass
class DesignResults:
    acks: dict[int, list[Sample]] = field(default_factory=dict)
    bursts: dict[int, list[Sample]] = field(default_factory=dict)
    cached: list[Sample] | None = None
    uncached: list[Sample] | None = None
    single_flight: SingleFlight | None = None


@dataclass
class Results:
    scale: Scale
    llm_latency: float
    designs: dict[str, DesignResults] = field(default_factory=dict)
    throughput: Throughput | None = None
    rss_idle: tuple[int | None, int | None] | None = None
    rss_peak: tuple[int, int] | None = None
    tokens: TokenFigures | None = None
    price: Price | None = None
    model: str = "gpt-4.1-mini"
    warehouse: list[Retrieval] = field(default_factory=list)
    profiles: dict[int, str] = field(default_factory=dict)
    queue: QueueFigures | None = None

    def design(self, name: str) -> DesignResults:
        return self.designs.setdefault(name, DesignResults())


def _cards(samples: Sequence[Sample]) -> list[float]:
    return [s.card_ms for s in samples if s.card_ms is not None]


def _failed(samples: Sequence[Sample]) -> int:
    return sum(1 for s in samples if s.outcome != "card")


def _with_profile(section: Section, results: Results) -> Section:
    if any(v.met is False for v in section.verdicts) and section.number in results.profiles:
        section.profile = "**Profile of the miss** (the phase run again with py-spy attached):\n\n" + \
            results.profiles[section.number]
    return section


def ack_section(r: Results) -> Section:
    s = Section(1, TITLES[1], intro=(
        "Signed POST → HTTP response. Every request is a fresh pasted list of 10 apps (uncached, one LLM call). "
        f"*Independent*: each user pauses a random 0–{r.llm_latency:g} s before each request and waits for the "
        "card before the next, so N users keep up to N personas in flight. *All at once*: N requests sent at the same "
        "instant, the worst case. The card columns show what those users waited in all."))
    table = Table(["design", "users", "arrivals", "requests", "ack p50", "ack p95", "ack p99", "ack max",
                   "card p50", "card p99", "not a card"])
    for name, design in r.designs.items():
        runs = [(u, "independent", x) for u, x in sorted(design.acks.items())]
        runs += [(u, "all at once", x) for u, x in sorted(design.bursts.items())]
        for users, arrivals, samples in runs:
            acks = [x.ack_ms for x in samples]
            cards = _cards(samples)
            table.add(DESIGN_LABELS[name], users, arrivals, len(samples), ms(pct(acks, 50)), ms(pct(acks, 95)),
                      ms(pct(acks, 99)), ms(max(acks) if acks else None), ms(pct(cards, 50)), ms(pct(cards, 99)),
                      _failed(samples))
    s.tables.append(table)
    real = r.design("real")
    target = f"≤ {ACK_TARGET_MS:.0f} ms at {ACK_TARGET_USERS}"
    for arrivals, runs in (("independent", real.acks), ("all at once", real.bursts)):
        if runs:
            top = max(runs)
            p99 = pct([x.ack_ms for x in runs[top]], 99)
            met = None if top != ACK_TARGET_USERS or p99 is None else p99 <= ACK_TARGET_MS
            s.verdicts.append(Verdict(f"ack p99, {top} users, {arrivals}", target, ms(p99), met))
    naive = r.design("ack-after-generate").acks
    for users, samples in sorted(naive.items()):
        late = sum(1 for x in samples if x.ack_ms > SLACK_ACK_LIMIT_MS or x.status != 200)
        s.notes.append(f"Ack-after-generate at {users} users: {late} of {len(samples)} acks missed Slack's 3 s "
                       "(Slack shows the user an error for those).")
    return _with_profile(s, r)


def cached_section(r: Results) -> Section:
    s = Section(2, TITLES[2], intro=(
        "A segment already in the cache, requested by different users one after the other: signed POST → the "
        "final card arriving at the stand-in (through working message and data part)."))
    table = Table(["design", "requests", "card p50", "card p99", "card max", "not a card"])
    for name, design in r.designs.items():
        if design.cached:
            cards = _cards(design.cached)
            table.add(DESIGN_LABELS[name], len(design.cached), ms(pct(cards, 50)), ms(pct(cards, 99)),
                      ms(max(cards) if cards else None), _failed(design.cached))
    s.tables.append(table)
    real = r.design("real").cached
    if real:
        p50 = pct(_cards(real), 50)
        s.verdicts.append(Verdict("cached card p50", f"≤ {CACHED_TARGET_MS:.0f} ms", ms(p50),
                                  None if p50 is None else p50 <= CACHED_TARGET_MS))
        s.verdicts.append(Verdict("cached card p99", "–", ms(pct(_cards(real), 99)), None))
    return _with_profile(s, r)


def uncached_section(r: Results) -> Section:
    s = Section(3, TITLES[3], intro=(
        f"Segments not in the cache, one request at a time; the LLM server answers after {r.llm_latency:g} s. "
        "Overhead = time to card − that latency: Slack round trips, warehouse, demographics, prompt, parsing, "
        "post-processing, cache and store writes, card."))
    table = Table(["design", "requests", "card p50", "card p99", "overhead p50", "overhead p99", "not a card"])
    latency_ms = r.llm_latency * 1000
    for name, design in r.designs.items():
        if design.uncached:
            cards = _cards(design.uncached)
            over = [c - latency_ms for c in cards]
            table.add(DESIGN_LABELS[name], len(design.uncached), ms(pct(cards, 50)), ms(pct(cards, 99)),
                      ms(pct(over, 50)), ms(pct(over, 99)), _failed(design.uncached))
    s.tables.append(table)
    real = r.design("real").uncached
    if real:
        over = [c - latency_ms for c in _cards(real)]
        p50 = pct(over, 50)
        s.verdicts.append(Verdict("uncached overhead p50", f"≤ {OVERHEAD_TARGET_MS:.0f} ms", ms(p50),
                                  None if p50 is None else p50 <= OVERHEAD_TARGET_MS))
        s.verdicts.append(Verdict("uncached overhead p99", "–", ms(pct(over, 99)), None))
    return _with_profile(s, r)


def first_content_section(r: Results) -> Section:
    s = Section(4, TITLES[4], intro=(
        "Same requests as section 3: signed POST → the data part (demographics and grounding apps) arriving at "
        "the stand-in, while the LLM is still writing."))
    real = r.design("real").uncached or []
    firsts = [x.progress_ms for x in real if x.progress_ms is not None]
    before = sum(1 for x in real if x.progress is not None and x.card is not None and x.progress < x.card)
    table = Table(["requests", "data part p50", "data part p99", "data part max", "before the card"])
    table.add(len(real), ms(pct(firsts, 50)), ms(pct(firsts, 99)), ms(max(firsts) if firsts else None),
              f"{before} of {len(real)}")
    s.tables.append(table)
    if real:
        p50 = pct(firsts, 50)
        s.verdicts.append(Verdict("data part p50", f"≤ {FIRST_CONTENT_TARGET_MS:.0f} ms", ms(p50),
                                  None if p50 is None else p50 <= FIRST_CONTENT_TARGET_MS))
        s.verdicts.append(Verdict("data part p99", "–", ms(pct(firsts, 99)), None))
    return _with_profile(s, r)


def single_flight_section(r: Results) -> Section:
    s = Section(5, TITLES[5], intro=(
        f"Users asking for the same uncached segment at the same moment (cache emptied first); LLM latency "
        f"{r.llm_latency:g} s. LLM calls are counted by the LLM server."))
    table = Table(["design", "users", "LLM calls", "first card", "last card (time for the last user)", "not a card"])
    for name, design in r.designs.items():
        flight = design.single_flight
        if flight is not None:
            cards = _cards(flight.samples)
            table.add(DESIGN_LABELS[name], len(flight.samples), flight.llm_calls, ms(min(cards) if cards else None),
                      ms(flight.last_ms), _failed(flight.samples))
    s.tables.append(table)
    real = r.design("real").single_flight
    if real is not None:
        s.verdicts.append(Verdict(f"LLM calls for {len(real.samples)} identical requests", "1",
                                  str(real.llm_calls), real.llm_calls == 1))
        s.verdicts.append(Verdict("time for the last user", "–", ms(real.last_ms), None))
    return _with_profile(s, r)


def throughput_section(r: Results) -> Section:
    s = Section(6, TITLES[6], intro=(
        "Users asking for a cached segment as fast as their cards come (each waits for its card, then asks "
        "again). Throughput counts complete cards at the stand-in per second. Memory is the resident set (RSS) "
        "of the web process (`persona-bot serve`, one uvicorn process; with the queue it acks and queues, the "
        "workers do the rest), read from /proc every 0.1 s; the peak is over all of the real bot's phases "
        "(sections 1–7)."))
    t = r.throughput
    if t is not None:
        cards = _cards(t.samples)
        table = Table(["users", "seconds", "cards", "cards/s", "card p50", "card p99", "not a card"])
        table.add(t.users, f"{t.seconds:.1f}", t.cards, f"{t.per_second:.1f}", ms(pct(cards, 50)),
                  ms(pct(cards, 99)), _failed(t.samples))
        s.tables.append(table)
        s.verdicts.append(Verdict("cache-hit throughput", "–", f"{t.per_second:.1f} cards/s", None))
    if r.rss_idle is not None:
        memory = Table(["process", "idle (after warm-up)", "under load (peak)"])
        peak = r.rss_peak or (0, 0)
        memory.add("web process", mb(r.rss_idle[0]), mb(peak[0] or None))
        s.tables.append(memory)
        idle = r.rss_idle[0]
        s.verdicts.append(Verdict("web process RSS idle", "≤ 200 MB", mb(idle),
                                  None if idle is None else idle <= RSS_TARGET_BYTES))
        if r.rss_peak is not None:
            s.verdicts.append(Verdict("web process RSS under load", "≤ 200 MB", mb(peak[0]),
                                      peak[0] <= RSS_TARGET_BYTES))
    return _with_profile(s, r)


def tokens_section(r: Results) -> Section:
    s = Section(7, TITLES[7])
    f = r.tokens
    if f is None:
        s.notes.append("Not measured in this run.")
        return s
    s.intro = (f"Segments of 10 apps (section 3's requests), English. Usage as the API reports it, counted by the "
               f"bench's OpenAI-compatible server with **{f.tokenizer}**: prompt = the chat messages the bot sent, "
               "framed as the chat API bills them (3 tokens per message, 3 to prime the reply). The structured-output "
               "schema is billed too, in a form OpenAI does not document; its size as JSON is shown separately.")
    table = Table(["figure", "tokens (mean)", "range"])
    table.add("prompt (messages)", _num(f.mean("prompt_tokens")), f.spread("prompt_tokens"))
    table.add("structured-output schema as JSON", _num(f.mean("schema_tokens")), f.spread("schema_tokens"))
    table.add("completion, the local server's short draft", _num(f.mean("completion_tokens")),
              f.spread("completion_tokens"))
    if f.example_completion is not None:
        table.add("completion, the shipped example persona (a real model's length)", f.example_completion, "–")
    table.add("completion cap (PERSONA_LLM_MAX_TOKENS)", f.max_tokens, "–")
    if f.bot_reported is not None:
        table.add("bot's own record (meta.prompt_tokens / completion_tokens)",
                  f"{f.bot_reported['prompt_tokens']} / {f.bot_reported['completion_tokens']}", "–")
    s.tables.append(table)
    if f.bot_error:
        s.notes.append(f"The bot's own record could not be read: {f.bot_error}")
    prompt, schema = f.mean("prompt_tokens"), f.mean("schema_tokens") or 0.0
    if r.price is None:
        s.notes.append(f"No price known for {r.model}: pass --price-input and --price-output.")
    elif prompt is not None:
        cost = Table(["completion assumed", "prompt tokens", "completion tokens", "USD per persona",
                      "USD per 1,000 personas"])
        cases = [("the example persona", f.example_completion), ("the local server's draft",
                                                                    f.mean("completion_tokens")),
                 ("the cap (worst case)", f.max_tokens)]
        for label, completion in cases:
            if completion is None:
                continue
            usd = r.price.cost(prompt + schema, completion)
            cost.add(label, _num(prompt + schema), _num(completion), f"${usd:.5f}", f"${usd * 1000:.2f}")
        s.tables.append(cost)
        s.notes.append(f"Prices for {r.model}: ${r.price.input:.2f} per 1M prompt tokens, ${r.price.output:.2f} per "
                       f"1M completion tokens ({r.price.source}). Prompt here includes the schema's JSON size, an "
                       "upper estimate of what the API adds for it. Cache hits cost nothing.")
    s.verdicts.append(Verdict("tokens per persona (prompt + schema / completion)", "–",
                              f"{_num(prompt + schema if prompt is not None else None)} / "
                              f"{f.example_completion or _num(f.mean('completion_tokens'))}", None))
    return s


def warehouse_section(r: Results) -> Section:
    s = Section(8, TITLES[8], intro=(
        "The queries behind a segment's grounding: the segment's record, then its apps with their audiences; "
        "measured in the bench process, one query pair at a time, rotating over the sample segments."))
    table = Table(["warehouse", "repetitions", "first (cold)", "p50", "p99", "max"])
    for ret in r.warehouse:
        if ret.unavailable:
            table.add(ret.label, 0, "–", "–", "–", f"not measured: {ret.unavailable}")
            continue
        times = ret.times_ms or []
        table.add(ret.label, len(times), ms(ret.first_ms), ms(pct(times, 50)), ms(pct(times, 99)),
                  ms(max(times) if times else None))
        s.verdicts.append(Verdict(f"retrieval p50, {ret.label}", "–", ms(pct(times, 50)), None))
    s.tables.append(table)
    s.notes.append("The BigQuery figure is emulated: a local emulator backed by DuckDB, with none of BigQuery's "
                   "network, job scheduling or slot latency (real BigQuery takes hundreds of milliseconds or more "
                   "per query). It shows the client-side cost of the BigQuery code path only.")
    return s


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def job_queue_section(r: Results) -> Section:
    return queue_section(r.queue, r.llm_latency)


BUILDERS = {1: ack_section, 2: cached_section, 3: uncached_section, 4: first_content_section,
            5: single_flight_section, 6: throughput_section, 7: tokens_section, 8: warehouse_section,
            9: job_queue_section}


def comparison(r: Results) -> Table | None:
    naive = [n for n in ("ack-after-generate", "no-cache") if n in r.designs]
    if not naive or "real" not in r.designs:
        return None
    headers = ["measure", "persona-bot"]
    for name in naive:
        headers += [DESIGN_LABELS[name], "ratio"]
    table = Table(headers)
    real = r.designs["real"]

    def row(label: str, get: Callable[[DesignResults], float | None]) -> None:
        base = get(real)
        values = [get(r.designs[n]) for n in naive]
        if base is None and all(v is None for v in values):
            return
        cells = [label, _fmt(base, label)]
        for value in values:
            cells += [_fmt(value, label), ratio(value, base)]
        table.rows.append(cells)

    levels = sorted(set(real.acks) & {u for n in naive for u in r.designs[n].acks})
    for users in levels:
        row(f"ack p99 at {users} users",
            lambda d, u=users: pct([x.ack_ms for x in d.acks.get(u, [])], 99))
    row("card p50, a cached segment asked again", lambda d: pct(_cards(d.cached or []), 50))
    row("card p50, a fresh segment", lambda d: pct(_cards(d.uncached or []), 50))
    users = r.scale.single_flight_users
    row(f"LLM calls for {users} identical concurrent requests",
        lambda d: float(d.single_flight.llm_calls) if d.single_flight else None)
    row(f"time for the last of {users} identical requests",
        lambda d: d.single_flight.last_ms if d.single_flight else None)
    return table


def _fmt(value: float | None, label: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if label.startswith("LLM calls") else ms(value)


def build(results: Results, only: set[int]) -> tuple[list[Section], list[tuple[int, Verdict]], Table | None]:
    sections = [BUILDERS[n](results) for n in sorted(only)]
    summary = [(s.number, v) for s in sections for v in s.verdicts]
    return sections, summary, comparison(results)
