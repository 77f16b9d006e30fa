"""HTTP mode for production: Slack requests on /slack/events, health on /healthz, served by gunicorn.

gunicorn's threaded workers run behind any load balancer; each worker builds its own app after the fork, so
replicas and workers share state only through the configured stores (Redis), never through memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.config import Settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi_app(settings: Settings) -> WSGIApp:
    from bot.slack_app import create_app

    bot = create_app(settings)
    slack = SlackRequestHandler(bot.app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            body = json.dumps({"ok": True}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return application


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
    # Building the app once here surfaces a bad token or a missing secret as one clear line before forking.
    make_wsgi_app(settings)
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
