"""Child processes of the local tools and the tests: a free port, waiting for a URL, stopping a process tree.

A server started here runs in its own process group (`subprocess.Popen(..., process_group=0)`), so stopping it
reaches everything it started: the server's supervisor, its workers and their helpers. Stopping is bounded: the polite
signal, a short grace, then SIGKILL to every group involved, because a loaded machine must not turn a stop into
a wait for a server's own graceful timeout, nor leave its workers behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

STOP_GRACE = 3.0
# `Popen(..., process_group=OWN_GROUP)` starts a process in a group of its own where the system has groups.
OWN_GROUP: int | None = 0 if os.name == "posix" else None


class ExitedWhileStarting(RuntimeError):
    """The process waited on exited before its URL answered."""

    def __init__(self, returncode: int) -> None:
        super().__init__(f"exited with code {returncode}")
        self.returncode = returncode


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def answers(url: str, timeout: float = 1.0) -> bool:
    """True when `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def wait_until_answers(url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 60.0) -> bool:
    """Polls `url` until it answers 200 (True) or `timeout` passes (False).

    Raises ExitedWhileStarting as soon as `process` has exited: a server that died will never answer.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ExitedWhileStarting(process.returncode)
        if answers(url):
            return True
        time.sleep(0.1)
    return False


def children(pid: int) -> list[int]:
    """The processes `pid` started, where the system says (Linux); elsewhere none."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children") if sys.platform.startswith("linux") else ():
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in task.read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs."""
    return [d for child in children(pid) for d in (child, *descendants(child))]


def _is_group(pgid: int) -> bool:
    """True while a process group with this id exists, even after its leader has exited."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal(pids: Iterable[int], groups: Iterable[int], sig: int) -> None:
    # Whatever is already gone is what we want.
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str], sig: int = signal.SIGTERM,
                 grace: float = STOP_GRACE, *, also: Iterable[int] = ()) -> int:
    """Stops `process` and every process it started, within about `grace` seconds; returns its exit code.

    `sig` goes to its process group when it leads one (else to it alone); after `grace`, SIGKILL goes to that
    group, to the groups its descendants lead and to descendants in no group of their own. `also` names
    processes (and so their groups) that may outlive `process`, such as a server it started in its own group.
    """
    if os.name != "posix":
        if process.poll() is None:
            process.terminate()
            try:
                return process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait()
    running = process.poll() is None
    # Once reaped, `process` can still name the group its stragglers are in (a group id is not reused while
    # the group exists), so it is looked up as a group either way.
    pids = [process.pid, *(descendants(process.pid) if running else []), *also]
    groups = {pid for pid in pids if _is_group(pid)}
    # Processes in no group of their own share the caller's: that group must not be signalled.
    loners = [pid for pid in pids if pid not in groups and (running or pid != process.pid)]
    if running:
        _signal([process.pid] if process.pid in loners else [], groups & {process.pid}, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    _signal(loners, groups, signal.SIGKILL)
    return process.wait()


class ChildServer:
    """A `persona-bot` command in a child process of its own group that answers `/healthz` once it is up."""

    def __init__(self, env: Mapping[str, str], *, host: str = "127.0.0.1", port: int | None = None,
                 output: IO[bytes] | None = None) -> None:
        self.env = dict(env)
        self.host = host
        self.port = port or free_port(host)
        # None: its log lines go to this terminal.
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def spawn(self, args: list[str], timeout: float) -> bool:
        """Starts `persona-bot ARGS`; True once /healthz answers, False if it did not within `timeout`.

        Raises ExitedWhileStarting when the process exits first. A group of its own: stopping it reaches whatever
        it starts, and a Ctrl+C in the terminal reaches only the command that started it.
        """
        stderr = subprocess.STDOUT if self.output is not None else None
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=self.env, stdout=self.output,
                                        stderr=stderr, stdin=subprocess.DEVNULL, process_group=OWN_GROUP)
        try:
            return wait_until_answers(f"{self.url}/healthz", self.process, timeout)
        except ExitedWhileStarting:
            self.process = None
            raise
