"""HTTP mode for production: uvicorn runs the ASGI front (`bot.slack.front_door`), Bolt runs on its request pool.

An event loop holds the connections, so an idle or slow client costs a socket and a few KB, never a thread: a
request thread is taken only once a whole, signed body has arrived. A connection gets HEADER_TIMEOUT seconds to
send its headers and the front gives it BODY_TIMEOUT for the body. Each worker builds its own app; workers and
replicas share state only through the configured stores (Redis), never through memory.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.config import Settings, get_settings
from bot.errors import PersonaError
from bot.logging_setup import configure_logging
from bot.slack.front_door import SLACK_PATH, SlackFront

__all__ = ["SLACK_PATH", "check_app_builds", "make_asgi_app", "serve"]

# From a connection's first byte (or the end of its previous response) to the end of a request's headers. Slack
# sends its headers in one packet; a client that trickles them is holding a socket, not making a request.
HEADER_TIMEOUT = 10.0
# Spawned workers read their thread count from here (they start from an import string, not from our arguments).
THREADS_ENV = "PERSONA_SERVE_THREADS"


class UnsafeServeConfig(PersonaError):
    exit_code = 2


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers, which uvicorn itself does not have.

    Without it a client that sends half a request line and stalls keeps its socket until it gives up; with it
    the socket is closed after HEADER_TIMEOUT however the bytes are trickled. The deadline is not re-armed by
    data, so sending a byte now and then does not extend it.
    """

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers():
            self._arm_header_timer()
        else:
            self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _awaiting_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self._awaiting_headers() and not self.transport.is_closing():
            self.transport.close()


def make_asgi_app(settings: Settings, threads: int = 16) -> SlackFront:
    # Imported here, not at the top: the serving parent never builds an app, and workers start from it.
    from bot.slack.app import SlackConfigError, create_app

    bot = create_app(settings)
    if settings.slack_signing_secret is None:  # create_app refuses this already; the type checker cannot know
        raise SlackConfigError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify requests from Slack.")
    return SlackFront(bot.app, settings.slack_signing_secret.get_secret_value(), threads=threads,
                      max_body=settings.max_body_bytes, serve_metrics=not settings.metrics_bind)


def asgi_app_from_env() -> SlackFront:
    """The factory each spawned worker calls (`--workers` > 1): settings and logging from the environment."""
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return make_asgi_app(settings, int(os.environ.get(THREADS_ENV, "16")))


def _build_and_report(settings: Settings, report: Any) -> None:
    try:
        make_asgi_app(settings, threads=1)
        report.send(("ok", 0, ""))
    except PersonaError as exc:
        report.send(("persona", exc.exit_code, str(exc)))
    except Exception as exc:  # e.g. Bolt's own error for a token Slack rejects
        report.send(("error", 1, f"{type(exc).__name__}: {exc}"))


def check_app_builds(settings: Settings, timeout: float = 120.0) -> None:
    """Build the app once in a throwaway child, before the server starts its workers.

    A bad token or a missing secret then surfaces as one clear line instead of a worker that fails to boot. It
    happens in a child so the parent stays small and holds no app, no pools and no connections.
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


def check_workers_safe(settings: Settings, workers: int) -> None:
    if workers > 1 and settings.redis_url is None and not settings.allow_unshared_workers:
        raise UnsafeServeConfig(
            f"--workers {workers} needs REDIS_URL: without it each worker remembers signatures on its own and a "
            "replayed request landing on another worker is accepted (set PERSONA_ALLOW_UNSHARED_WORKERS=1 to run "
            "anyway)."
        )


def parse_bind(value: str) -> tuple[str, int]:
    """`host:port`, `:port` (loopback) or `[v6]:port`."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UnsafeServeConfig(f"PERSONA_METRICS_BIND must be host:port, e.g. 127.0.0.1:9100 (got {value!r}).")
    return host.strip("[]") or "127.0.0.1", int(port)


def start_metrics_server(bind: str) -> None:
    """/metrics on its own address, from the serving parent, so it adds up every worker and no worker owns it."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    host, port = parse_bind(bind)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise UnsafeServeConfig(f"cannot serve metrics on {host}:{port} ({exc.strerror}).") from None


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    import uvicorn

    configure_logging(settings.log_format, settings.log_level)
    check_workers_safe(settings, workers)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts on its own; a shared directory lets /metrics add them up (before any metric exists).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="persona-bot-metrics-")
    check_app_builds(settings)
    if settings.metrics_bind:
        start_metrics_server(settings.metrics_bind)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": HeaderTimeoutProtocol,
        "lifespan": "on",
        # Our logging, not uvicorn's: one JSON object per line, and no access log (the front writes its own).
        "log_config": None,
        "log_level": "warning",
        "access_log": False,
        "timeout_keep_alive": 5,
        # Slack retries after 3 s; requests still in flight after this long at shutdown are broken, not busy.
        "timeout_graceful_shutdown": 30,
        "backlog": 2048,
    }
    if workers > 1:
        os.environ[THREADS_ENV] = str(threads)
        uvicorn.run("bot.slack.http_server:asgi_app_from_env", factory=True, workers=workers, **options)
    else:
        # In this process, so an app built by a caller's patched factory (bench/naive_app.py) is the one served.
        uvicorn.run(make_asgi_app(settings, threads), **options)
