"""`persona-bot worker`: the process that runs queued persona and follow-up jobs.

It builds the same flows as the web process (without the queue), a Slack client, and a Dramatiq worker with
`--concurrency` threads. A small HTTP server answers `/healthz` for the orchestrator's liveness probe (200 while the
worker's threads run, 503 once it is stopping or a thread died) and `/metrics` for Prometheus. SIGTERM (or Ctrl+C)
stops taking jobs, lets the jobs in hand finish for up to PERSONA_WORKER_SHUTDOWN_TIMEOUT, hands prefetched ones
back to the queue, and exits; a job still running then is delivered again by the queue after the re-delivery time.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import TYPE_CHECKING, Any

from dramatiq import Worker
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.config import Settings
from bot.errors import PersonaError
from bot.jobs import JobQueue, QueueOptions
from bot.logging_setup import configure_logging

if TYPE_CHECKING:
    from bot.slack.dispatch import JobRunner

log = logging.getLogger("bot.worker")


class WorkerConfigError(PersonaError):
    exit_code = 2


class QueueDepth(Collector):
    """The queue's depth, read from Redis at each scrape, so every worker reports the same shared figure."""

    def __init__(self, queue: JobQueue):
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("persona_job_queue_depth", "Jobs waiting for a worker (queued or in backoff)",
                                value=self.queue.depth())


class WorkerProbe:
    """/healthz and /metrics of one worker process, on its own thread."""

    def __init__(self, worker: Worker, runner: JobRunner, host: str, port: int):
        self.worker = worker
        self.runner = runner
        self.stopping = False
        probe = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/healthz":
                    ok = probe.healthy()
                    body = {"ok": ok, "jobs_in_hand": probe.runner.jobs_in_hand}
                    self._answer(200 if ok else 503, json.dumps(body).encode(), "application/json")
                elif self.path == "/metrics":
                    self._answer(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
                else:
                    self._answer(404, b'{"error": "not_found"}', "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds are not news
                return

        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise WorkerConfigError(f"cannot serve the worker's health and metrics on {host}:{port} "
                                    f"({exc.strerror}).") from None
        self.server.daemon_threads = True

    def healthy(self) -> bool:
        threads = [*self.worker.workers, *self.worker.consumers.values()]
        return not self.stopping and bool(threads) and all(thread.is_alive() for thread in threads)

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, name="worker-probe", daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def run_worker(settings: Settings, *, concurrency: int, host: str, port: int) -> int:
    configure_logging(settings.log_format, settings.log_level)
    if not settings.queue_enabled:
        raise WorkerConfigError("persona-bot worker needs REDIS_URL (and PERSONA_JOBS=queue): the jobs come from "
                                "Redis. Without it `serve` and `run` do the work themselves.")
    if concurrency < 1:
        raise WorkerConfigError("--concurrency must be at least 1.")
    # Imported here: building the flows pulls in the whole Slack adapter, which a failed check does not need.
    from bot.slack.app import build_client, build_flows
    from bot.slack.dispatch import JobRunner

    queue = JobQueue(QueueOptions.from_settings(settings))
    flows = build_flows(settings, queued=False)
    runner = JobRunner(settings, flows, build_client(settings), queue)
    queue.declare(runner)
    worker = Worker(queue.broker, worker_threads=concurrency, worker_timeout=1000)
    # One job in memory per thread: a worker never sits on jobs that an idle worker elsewhere could start.
    worker.queue_prefetch = concurrency
    REGISTRY.register(QueueDepth(queue))
    probe = WorkerProbe(worker, runner, host, port)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), on_signal)
    worker.start()
    probe.start()
    log.info("worker_started", extra={"concurrency": concurrency, "health": f"http://{host}:{port}/healthz",
                                      "redelivery_after_s": queue.options.redelivery_after})
    while not stop.wait(1.0):
        pass
    probe.stopping = True
    log.info("worker_stopping", extra={"shutdown_timeout_s": settings.worker_shutdown_timeout})
    worker.stop(timeout=int(settings.worker_shutdown_timeout * 1000))
    probe.stop()
    log.info("worker_stopped")
    return 0
