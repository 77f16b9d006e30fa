"""Processes the tests start: one way to wait for them to answer and one way to stop them, process groups included.

Start a server with `process_group=OWN_GROUP` so that `stop_process` reaches whatever it starts (the server's
workers, for one) and a teardown on a loaded machine neither waits for a graceful timeout nor leaves orphans.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.devtools.processes import OWN_GROUP, ExitedWhileStarting, children, free_port, stop_process, wait_until_answers

__all__ = [
    "OWN_GROUP", "ExitedWhileStarting", "alive", "children", "free_port", "stop_process", "wait_healthy",
    "wait_until_answers",
]


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Until `url`/healthz answers; a bot that exits or never answers fails with its own log."""
    try:
        healthy = wait_until_answers(f"{url}/healthz", proc, timeout)
    except ExitedWhileStarting as exited:
        raise RuntimeError(f"the bot exited with {exited.returncode}:\n{log.read_text(errors='replace')}") from None
    if not healthy:
        raise RuntimeError(f"the bot did not become healthy:\n{log.read_text(errors='replace')}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
