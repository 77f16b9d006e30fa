"""`persona-bot dev`: the real bot behind a Slack-like page on http://127.0.0.1:3000, on this machine only."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import webbrowser
from types import FrameType
from typing import Any

from bot.config import Settings


def _describe(settings: Settings) -> str:
    writer = f"LLM {settings.llm_model}" if settings.llm_enabled else "offline writer"
    cache = "Redis" if settings.redis_url is not None else "in-process cache"
    return f"{writer}, {settings.warehouse} warehouse, {cache}"


def _can_show_a_browser() -> bool:
    # Without a display, webbrowser falls back to text browsers that would take over this terminal.
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # `kill` and process managers send SIGTERM, a closed terminal SIGHUP; either must stop the bot process as
    # Ctrl+C does, since the bot runs in a process group of its own that no terminal signal reaches.
    signal.signal(signal.SIGTERM, handler)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, handler)


def _finish_stopping_undisturbed() -> None:
    # A second Ctrl+C while the sandbox stops would abandon the bot half-stopped; the stop is bounded anyway.
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.sandbox import Sandbox

    _stop_on_sigterm()
    with Sandbox(port=args.port) as sandbox:
        print(f"persona-bot sandbox: {sandbox.url} ({_describe(settings)}). Press Ctrl+C to stop.", flush=True)
        if not args.no_browser and _can_show_a_browser():
            threading.Thread(target=webbrowser.open, args=(sandbox.url,), daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
        _finish_stopping_undisturbed()
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def add_dev_command(sub: Any) -> None:
    p = sub.add_parser("dev", help="try the Slack app locally: a Slack-like page driving the real bot")
    p.add_argument("--port", type=_port, default=3000, help="port of the page on 127.0.0.1 (default 3000)")
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.set_defaults(func=cmd_dev)
