"""HTTP mode for production: Slack requests on /slack/events, health on /healthz, metrics on /metrics, by gunicorn.

gunicorn's threaded workers run behind any load balancer; each worker builds its own app after the fork, so
replicas and workers share state only through the configured stores (Redis), never through memory.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.config import Settings
from bot.errors import PersonaError
from bot.logging_setup import configure_logging
from bot.request_context import begin, new_request_id, run_isolated

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

log = logging.getLogger("bot.http")

# Paths are metric labels: anything but Slack's is counted as "other", so scanners cannot grow the series.
SLACK_PATH = "/slack/events"


def _respond(start_response: Callable[..., Any], body: bytes, content_type: str) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def make_wsgi_app(settings: Settings) -> WSGIApp:
    # Imported here, not at the top: the gunicorn master never builds an app, and workers fork from it.
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot import metrics
    from bot.slack.app import create_app
    from bot.slack.guard import REQUEST_ID_HEADER

    bot = create_app(settings)
    slack = SlackRequestHandler(bot.app, path=SLACK_PATH)
    request_id_key = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == "/healthz":
            return _respond(start_response, json.dumps({"ok": True}).encode(), "application/json")
        if path == "/metrics":
            return _respond(start_response, *metrics.render())
        started = time.perf_counter()
        status: list[str] = []

        def recording_start_response(status_line: str, headers: list[Any], *exc_info: Any) -> Any:
            status.append(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, *exc_info)

        # Our id, never one a client sent: the guard picks it up from this header and logs under it.
        environ[request_id_key] = begin(new_request_id()).request_id
        body = slack(environ, recording_start_response)
        elapsed = time.perf_counter() - started
        code = status[0] if status else "500"
        label = path if path == SLACK_PATH else "other"
        metrics.HTTP_REQUESTS.labels(label, code).inc()
        metrics.HTTP_SECONDS.labels(label).observe(elapsed)
        log.info("http_request", extra={"path": label, "status": int(code), "latency_ms": round(elapsed * 1000, 1)})
        return body

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # A fresh context per request: ids set while handling one request never leak into the next on this thread.
        return run_isolated(handle, environ, start_response)

    return application


def _build_and_report(settings: Settings, report: Any) -> None:
    try:
        make_wsgi_app(settings)
        report.send(("ok", 0, ""))
    except PersonaError as exc:
        report.send(("persona", exc.exit_code, str(exc)))
    except Exception as exc:  # e.g. Bolt's own error for a token Slack rejects
        report.send(("error", 1, f"{type(exc).__name__}: {exc}"))


def check_app_builds(settings: Settings, timeout: float = 120.0) -> None:
    """Build the app once in a throwaway child, before gunicorn forks its workers.

    A bad token or a missing secret then surfaces as one clear line instead of a worker that fails to boot. It
    happens in a child so the master stays small: workers are forked from it, and an app built in the master
    would sit in every worker's memory next to the worker's own.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    # A daemon: a check stuck on a dead network must not keep serve from exiting.
    child = ctx.Process(target=_build_and_report, args=(settings, sender), name="app-check", daemon=True)
    child.start()
    sender.close()
    try:
        kind, exit_code, message = receiver.recv() if receiver.poll(timeout) else ("error", 1, "timed out")
    except EOFError:
        kind, exit_code, message = "error", 1, "the check exited without an answer"
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if kind == "persona":
        error = PersonaError(message)
        error.exit_code = exit_code
        raise error
    if kind != "ok":
        raise RuntimeError(f"the Slack app could not be built ({message})")


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]):
        self.settings, self.options = settings, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return make_wsgi_app(self.settings)


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    configure_logging(settings.log_format, settings.log_level)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts on its own; a shared directory lets /metrics add them up (before any metric exists).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="persona-bot-metrics-")
    check_app_builds(settings)
    _Server(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            # Slack retries a request after 3 s; a worker stuck far longer than that is broken, not busy.
            "timeout": 60,
            "graceful_timeout": 30,
            "accesslog": None,
            "loglevel": "warning",
        },
    ).run()
