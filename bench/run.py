"""One command for every benchmark: `.venv/bin/python -m bench [--quick] [--llm-latency S] [--only N] [--no-append]`.

Starts redis-server, the OpenAI-compatible server and the Slack stand-in, then the real bot (web process and
workers), the two naive designs and the job queue's comparisons one after the other, measures, and appends a dated
section to docs/benchmarks.md (and prints it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import measure_queue, phases
from bench.llm_server import fetch_stats, reset_stats
from bench.load import Users
from bench.measure_tokens import TokenFigures, bot_reported_usage, example_completion_tokens
from bench.measure_warehouse import bigquery_retrieval, duckdb_retrieval
from bench.prices import price_for
from bench.profile import Profiler
from bench.report import Report, append, command_line, load_average
from bench.scale import QUICK, SCALES, Scale
from bench.sections import BUILDERS, Results, build
from bench.stack import REPO_ROOT, WORKER_CONCURRENCY, BotProcess, Design, Stack, running_stack
from bot.config import Settings

ALL_SECTIONS = frozenset(BUILDERS)
NAIVE: tuple[Design, ...] = ("ack-after-generate", "no-cache")
# Sections whose misses a CPU profile can explain; memory and call counts are not a matter of where time goes.
PROFILED = frozenset({1, 2, 3, 4})


@dataclass
class Options:
    scale: Scale
    llm_latency: float = 1.0
    only: frozenset[int] = ALL_SECTIONS
    append: bool = True
    output: Path = REPO_ROOT / "docs" / "benchmarks.md"
    model: str = "gpt-4.1-mini"
    price_input: float | None = None
    price_output: float | None = None
    bigquery: bool = True
    naive: bool = True
    profile: bool = True
    command: str = field(default_factory=command_line)


def say(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def _needs(options: Options, *sections: int) -> bool:
    return bool(options.only & set(sections))


def measure_real(stack: Stack, bot: BotProcess, results: Results, options: Options,
                 workload: phases.Workload) -> None:
    scale, design = options.scale, results.design("real")
    users = Users(bot, stack.standin, card_timeout=options.llm_latency * 4 + 60)
    say("real bot: warming up")
    phases.warm_up(users, workload)
    results.rss_idle = phases.idle_rss(bot)
    with phases.RssSampler(bot) as sampler:
        if _needs(options, 3, 4, 7):
            say(f"real bot: {scale.uncached_requests} uncached segments, one at a time")
            reset_stats(stack.llm.url)
            design.uncached = phases.uncached(users, stack, "real", workload, scale.uncached_requests)
            stats = fetch_stats(stack.llm.url)
            results.tokens = TokenFigures(
                tokenizer=str(stats["tokenizer"]),
                completions=list(stats["completions"]),
                bot_reported=None,
                bot_error=None,
                example_completion=example_completion_tokens(),
                max_tokens=int(Settings.model_fields["llm_max_tokens"].default),
            )
        stack.standin.forget()
        if _needs(options, 2):
            say(f"real bot: {scale.cached_requests} cached cards, one at a time")
            design.cached = phases.cached(users, workload.segments[-1], scale.cached_requests)
        stack.standin.forget()
        if _needs(options, 5):
            say(f"real bot: {scale.single_flight_users} identical concurrent requests")
            design.single_flight = phases.single_flight(users, stack, "real", workload.segments[1],
                                                        scale.single_flight_users)
        stack.standin.forget()
        if _needs(options, 1):
            say(f"real bot: ack latency at {', '.join(map(str, scale.ack_levels))} concurrent users")
            design.acks = phases.ack_levels(users, workload, scale.ack_levels, think=options.llm_latency)
            say(f"real bot: {scale.burst_rounds} bursts of {scale.top_level} requests at once")
            design.bursts = {scale.top_level: phases.burst(users, workload, scale.top_level, scale.burst_rounds)}
        stack.standin.forget()
        if _needs(options, 6):
            say(f"real bot: cache-hit throughput, {scale.throughput_users} users for {scale.throughput_seconds:g} s")
            results.throughput = phases.throughput(users, workload.segments[-1], scale.throughput_users,
                                                   scale.throughput_seconds)
        stack.standin.forget()
    results.rss_peak = (sampler.peak_worker, sampler.peak_master)


def burst_missed(results: Results) -> bool:
    return any(v.met is False and "all at once" in v.what for v in BUILDERS[1](results).verdicts)


def profile_misses(stack: Stack, bot: BotProcess, results: Results, options: Options,
                   workload: phases.Workload) -> None:
    """Runs each phase whose target was missed again with py-spy attached to the worker."""
    scale = options.scale
    users = Users(bot, stack.standin, card_timeout=options.llm_latency * 4 + 60)
    missed = sorted(n for n in options.only & PROFILED
                    if any(v.met is False for v in BUILDERS[n](results).verdicts))
    for number in missed:
        summaries = []
        # An ack that waits is a queueing question, so section 1 also gets a wall-clock view of every thread.
        for idle in (False, True) if number == 1 else (False,):
            say(f"profiling the miss in section {number}" + (" (wall clock)" if idle else ""))
            with Profiler(bot.worker_pid(), stack.tmp / f"profile-{number}-{idle}.txt", idle=idle) as profiler:
                if number == 1:
                    # The burst when it missed (the worst case, and the most samples of the problem per second).
                    top = scale.top_level
                    if burst_missed(results):
                        phases.burst(users, workload, top, scale.burst_rounds)
                    else:
                        phases.ack_levels(users, workload, {top: scale.ack_levels[top]}, think=options.llm_latency)
                elif number == 2:
                    phases.cached(users, workload.segments[-1], scale.cached_requests)
                else:
                    phases.uncached(users, stack, "real", workload, scale.uncached_requests)
            summaries.append(profiler.summary())
            stack.standin.forget()
        results.profiles[number] = "\n\n".join(summaries)


def measure_naive(stack: Stack, bot: BotProcess, design_name: Design, results: Results, options: Options,
                  workload: phases.Workload) -> None:
    scale, design = options.scale, results.design(design_name)
    users = Users(bot, stack.standin, card_timeout=options.llm_latency * 4 + 60)
    say(f"{design_name}: warming up")
    phases.warm_up(users, workload)
    if _needs(options, 1):
        say(f"{design_name}: ack latency at {', '.join(map(str, scale.naive_ack_levels))} concurrent users")
        design.acks = phases.ack_levels(users, workload, scale.naive_ack_levels, think=options.llm_latency)
    stack.standin.forget()
    if _needs(options, 2):
        say(f"{design_name}: {scale.naive_cached_requests} repeated requests for one segment")
        design.cached = phases.cached(users, workload.segments[-1], scale.naive_cached_requests)
    stack.standin.forget()
    if _needs(options, 3):
        say(f"{design_name}: {scale.naive_uncached_requests} uncached segments")
        design.uncached = phases.uncached(users, stack, design_name, workload, scale.naive_uncached_requests)
    stack.standin.forget()
    if _needs(options, 5):
        say(f"{design_name}: {scale.single_flight_users} identical concurrent requests")
        design.single_flight = phases.single_flight(users, stack, design_name, workload.segments[1],
                                                    scale.single_flight_users)
    stack.standin.forget()


def measure_job_queue(stack: Stack, results: Results, options: Options, workload: phases.Workload) -> None:
    scale = options.scale
    figures = measure_queue.QueueFigures(redelivery_after=scale.redelivery_after,
                                         death_llm_latency=max(options.llm_latency, 1.0))
    card_timeout = options.llm_latency * 4 + 60
    for design in ("real", "in-process"):
        say(f"job queue: bursts of {', '.join(map(str, scale.queue_bursts))} at once, {design}")
        measure_queue.bursts(stack, design, workload, scale.queue_bursts, figures, card_timeout)
    for workers in scale.queue_workers:
        say(f"job queue: {scale.queue_requests} fresh requests, {workers} worker(s) × {scale.queue_concurrency}")
        measure_queue.card_rate(stack, workload, workers, scale.queue_concurrency, scale.queue_requests, figures,
                                card_timeout)
    say(f"job queue: {scale.death_trials} worker deaths mid-generation")
    measure_queue.deaths(stack, workload, scale.death_trials, figures, options.model)
    results.queue = figures


def _redis_version() -> str:
    exe = shutil.which("redis-server")
    if exe is None:
        return "?"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    version = next((part for part in out.split() if part.startswith("v=")), "v=?")
    return version[2:]


def run(options: Options) -> Report:
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (apt-get install -y redis-server); the bench needs it.")
    started, load_before = datetime.now(UTC), load_average()
    price = price_for(options.model, input=options.price_input, output=options.price_output)
    results = Results(scale=options.scale, llm_latency=options.llm_latency, price=price, model=options.model)
    workload = phases.Workload.sample()
    log_notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="persona-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        with running_stack(tmp, llm_latency=options.llm_latency, model=options.model) as stack:
            if _needs(options, 8):
                say("warehouse retrieval: DuckDB")
                results.warehouse.append(duckdb_retrieval(stack.warehouse, options.scale.warehouse_reps))
                say("warehouse retrieval: BigQuery emulator")
                reps = options.scale.bigquery_reps if options.bigquery else 0
                results.warehouse.append(bigquery_retrieval(tmp, reps))
            if _needs(options, 1, 2, 3, 4, 5, 6, 7):
                with stack.bot("real") as bot:
                    measure_real(stack, bot, results, options, workload)
                    if options.profile:
                        profile_misses(stack, bot, results, options, workload)
            if _needs(options, 7) and results.tokens is not None:
                say("tokens: the bot's own record (persona-bot persona --format json)")
                results.tokens.bot_reported, results.tokens.bot_error = bot_reported_usage(
                    stack, workload.segments[0])
            if options.naive and _needs(options, 1, 2, 3, 5):
                for design in NAIVE:
                    with stack.bot(design) as bot:
                        measure_naive(stack, bot, design, results, options, workload)
            if _needs(options, 9):
                measure_job_queue(stack, results, options, workload)
            log_notes = dict(stack.log_notes)
    sections, summary, comparison = build(results, set(options.only))
    tokenizer = results.tokens.tokenizer if results.tokens else "not measured"
    settings = [
        ("Scale", f"{options.scale.name} (bench/scale.py)"),
        ("LLM", f"local OpenAI-compatible server in its own process, fixed latency {options.llm_latency:g} s, "
                f"model name {options.model}; usage counted with {tokenizer}"),
        ("Bot", "`persona-bot serve` (uvicorn, 1 process × 16 request threads, 32 listener threads) and 2 × "
                f"`persona-bot worker --concurrency {WORKER_CONCURRENCY}`, with REDIS_URL → redis-server "
                f"{_redis_version()}, the embedded DuckDB sample warehouse, rate limits off; the naive designs are "
                "served by the same uvicorn setup doing their own work (bench/naive_app.py)"),
        ("Slack", "the local Slack stand-in (bot/devtools) and the load generator share the bench process; "
                  "requests are signed as Slack signs them"),
    ]
    settings += [(f"Bot log, {design}", note) for design, note in log_notes.items()]
    return Report(
        started=started,
        command=options.command,
        settings=settings,
        sections=sections,
        summary=summary,
        comparison=comparison,
        load_before=load_before,
        load_after=load_average(),
    )


def _sections(values: list[str]) -> frozenset[int]:
    chosen = {int(part) for value in values for part in value.split(",") if part.strip()}
    unknown = chosen - ALL_SECTIONS
    if unknown:
        raise argparse.ArgumentTypeError(f"no section {sorted(unknown)}; sections are 1–9")
    return frozenset(chosen)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--llm-latency", type=float, default=1.0, help="seconds the LLM server takes (default 1.0)")
    parser.add_argument("--quick", action="store_true", help="fewer requests per measurement (development)")
    parser.add_argument("--scale", choices=sorted(SCALES), help="default, quick or tiny (the smoke test's)")
    parser.add_argument("--only", action="append", default=[], metavar="N",
                        help="measure only these sections (1–9; repeat or comma-separate)")
    parser.add_argument("--no-append", action="store_true", help="print the report without appending it")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--model", default=os.environ.get("PERSONA_LLM_MODEL", "gpt-4.1-mini"),
                        help="model name for the LLM server and the prices (default PERSONA_LLM_MODEL)")
    parser.add_argument("--price-input", type=float, help="USD per 1M prompt tokens (overrides bench/prices.py)")
    parser.add_argument("--price-output", type=float, help="USD per 1M completion tokens")
    parser.add_argument("--no-bigquery", action="store_true", help="skip the BigQuery emulator figure")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive designs")
    parser.add_argument("--no-profile", action="store_true", help="do not profile missed targets")
    args = parser.parse_args(argv)
    try:
        only = _sections(args.only) if args.only else ALL_SECTIONS
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    scale = SCALES[args.scale] if args.scale else (QUICK if args.quick else SCALES["default"])
    return Options(
        scale=scale,
        llm_latency=args.llm_latency,
        only=only,
        append=not args.no_append,
        output=args.output,
        model=args.model,
        price_input=args.price_input,
        price_output=args.price_output,
        bigquery=not args.no_bigquery,
        naive=not args.no_naive,
        profile=not args.no_profile,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    report = run(options)
    print(report.markdown())
    if options.append:
        append(report, options.output)
        say(f"appended to {options.output}")
    return 0
