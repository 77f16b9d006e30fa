"""The processes a bench run measures: redis-server, the OpenAI-compatible server, the Slack stand-in and a bot.

Who measures what: the bot (`persona-bot serve` on uvicorn, as production runs it, and with the job queue its
`persona-bot worker` processes) and the OpenAI-compatible server each have their own process; the load generator
and the Slack stand-in share the bench process, so the request's start and the card's arrival are read from one
clock.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from redis import Redis

from bench.standin import BenchStandIn
from bot.dataset import read_dataset, sample_dataset_dir
from bot.devtools import SlackRequestSender
from bot.devtools.worker_process import WorkerProcess
from bot.warehouse.duckdb import write_duckdb_file
from tests.support.processes import OWN_GROUP, children, free_port, stop_process, wait_healthy
from tests.support.redis_server import RedisServer
from tests.support.slack_harness import SIGNING_SECRET, bot_env

REPO_ROOT = Path(__file__).resolve().parent.parent
Design = Literal["real", "in-process", "ack-after-generate", "no-cache"]
DESIGN_LABELS: dict[str, str] = {
    "real": "persona-bot (ack at once, cache, single-flight)",
    "in-process": "before the queue: the work in the web process",
    "ack-after-generate": "naive: ack after generating",
    "no-cache": "naive: no cache, no single-flight",
}
# One Redis database per design, so one design's cache never answers for another.
REDIS_DB: dict[str, int] = {"real": 0, "ack-after-generate": 1, "no-cache": 2, "in-process": 3}
# Threads of each `persona-bot worker` the real design runs.
WORKER_CONCURRENCY = 16
# In production the workers and the LLM run on machines of their own, apart from the web process; on the bench's
# 2 cores they run at this lower priority instead, so they take the CPU the web process leaves rather than the
# CPU its acks need. The in-process design's web process is not lowered: its work is its own.
BACKGROUND_NICENESS = 10


def lower_priority(pid: int) -> None:
    """Every thread of `pid` at BACKGROUND_NICENESS (Linux sets niceness per thread; new threads inherit it)."""
    task_dir = Path(f"/proc/{pid}/task")
    for task in [int(t.name) for t in task_dir.iterdir()] if task_dir.exists() else [pid]:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, task, BACKGROUND_NICENESS)


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class LLMProcess:
    url: str
    proc: subprocess.Popen[str]

    def stop(self) -> None:
        stop_process(self.proc)


def start_llm(latency: float, model: str, timeout: float = 60.0) -> LLMProcess:
    cmd = [sys.executable, "-m", "bench.llm_server", "--port", "0", "--latency", str(latency), "--model", model]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            process_group=OWN_GROUP)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    line = first[0].strip() if first else ""
    if not line.startswith("listening on "):
        stop_process(proc)
        raise RuntimeError(f"the bench LLM server did not start: {line or 'no output'}")
    lower_priority(proc.pid)
    return LLMProcess(url=line.removeprefix("listening on "), proc=proc)


@dataclass
class BotProcess:
    design: Design
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    sender: SlackRequestSender
    # The real design's `persona-bot worker` processes (the web process only acks and queues).
    workers: list[WorkerProcess] = field(default_factory=list)
    worker_env: dict[str, str] = field(default_factory=dict)

    def worker_pid(self) -> int:
        """The process that serves requests: uvicorn's only process, or its first worker with `--workers`."""
        workers = children(self.proc.pid)
        return workers[0] if workers else self.proc.pid

    def rss(self) -> tuple[int | None, int | None]:
        """(serving process, server's own process) resident memory in bytes; the same process with one worker."""
        return rss_bytes(self.worker_pid()), rss_bytes(self.proc.pid)

    def start_worker(self, concurrency: int = WORKER_CONCURRENCY) -> WorkerProcess:
        with (self.log.parent / f"worker-{len(self.workers)}.log").open("ab") as out:
            worker = WorkerProcess(self.worker_env, concurrency=concurrency, output=out).start()
        if worker.pid is not None:
            lower_priority(worker.pid)
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        stop_process(self.proc)


@dataclass
class Stack:
    tmp: Path
    standin: BenchStandIn
    redis: RedisServer
    llm: LLMProcess
    warehouse: Path
    llm_timeout: float = 30.0
    # Per design: what its log said beyond info lines, so a figure bent by errors does not pass unnoticed.
    log_notes: dict[str, str] = field(default_factory=dict)

    def redis_url(self, design: Design) -> str:
        return f"redis://127.0.0.1:{self.redis.port}/{REDIS_DB[design]}"

    def flush(self, design: Design) -> None:
        """Empties the design's cache and store: the next request for anything is uncached."""
        client = Redis.from_url(self.redis_url(design))
        try:
            client.flushdb()
        finally:
            client.close()

    @contextmanager
    def bot(self, design: Design, env_extra: dict[str, str] | None = None, *, name: str | None = None,
            workers: int = 2, worker_concurrency: int = WORKER_CONCURRENCY) -> Iterator[BotProcess]:
        """The design's bot; the real design with `workers` worker processes, every other one doing its own work.

        `name` tells apart several bots of one design (their homes and log notes).
        """
        name = name or design
        home = self.tmp / f"bot-{name}"
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        settings = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": f"{self.llm.url}/v1",
            "PERSONA_LLM_TIMEOUT": str(self.llm_timeout),
            "REDIS_URL": self.redis_url(design),
            # Every bench user generates many personas within the hour; the limits are tested elsewhere.
            "PERSONA_RATE_LIMIT_USER": "0",
            "PERSONA_RATE_LIMIT_TEAM": "0",
            "PERSONA_JOBS": "queue" if design == "real" else "in-process",
        }
        env = bot_env(home, self.standin, self.warehouse, **{**settings, **(env_extra or {})})
        if design in ("real", "in-process"):
            cmd = [sys.executable, "-m", "bot.cli", "serve"]
        else:
            cmd = [sys.executable, "-m", "bench.naive_app", "--design", design]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        log = home / "bot.log"
        self.flush(design)
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    process_group=OWN_GROUP)
        url = f"http://127.0.0.1:{port}"
        sender = SlackRequestSender(
            f"{url}/slack/events", SIGNING_SECRET, response_url_factory=self.standin.response_url, timeout=30
        )
        bot = BotProcess(design=design, url=url, proc=proc, log=log, sender=sender, worker_env=env)
        try:
            wait_healthy(url, proc, log)
            for _ in range(workers if design == "real" else 0):
                bot.start_worker(worker_concurrency)
            yield bot
        finally:
            bot.stop()
            self.log_notes[name] = log_problems(log, *sorted(home.glob("worker-*.log")))


def log_problems(*logs: Path) -> str:
    """How many error and warning lines a bot's logs hold, with the first error, in one line."""
    errors: list[str] = []
    warnings = 0
    lines = [line for log in logs for line in log.read_text(encoding="utf-8", errors="replace").splitlines()]
    for line in lines:
        lowered = line.lower()
        if '"level": "error"' in lowered or lowered.startswith(("error", "critical")) or "traceback" in lowered:
            errors.append(line.strip())
        elif '"level": "warning"' in lowered or lowered.startswith("warning"):
            warnings += 1
    note = f"{len(errors)} error lines, {warnings} warning lines"
    return note + (f"; first error: `{errors[0][:200]}`" if errors else "")


@contextmanager
def running_stack(tmp: Path, *, llm_latency: float, model: str) -> Iterator[Stack]:
    tmp.mkdir(parents=True, exist_ok=True)
    warehouse = tmp / "warehouse.duckdb"
    write_duckdb_file(warehouse, read_dataset(sample_dataset_dir()))
    redis = RedisServer(tmp / "redis").start()
    try:
        llm = start_llm(llm_latency, model)
        try:
            with BenchStandIn() as standin:
                yield Stack(tmp=tmp, standin=standin, redis=redis, llm=llm, warehouse=warehouse)
        finally:
            llm.stop()
    finally:
        redis.stop()
