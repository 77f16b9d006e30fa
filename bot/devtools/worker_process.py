"""`persona-bot worker` in a child process: for the sandbox (`dev` with REDIS_URL), the tests and the bench."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from typing import IO

from bot.devtools.processes import OWN_GROUP, ExitedWhileStarting, free_port, stop_process, wait_until_answers
from bot.errors import PersonaError


def queues_work(env: Mapping[str, str]) -> bool:
    """True when a bot with this environment hands its work to worker processes (REDIS_URL, queue not off)."""
    return bool(env.get("REDIS_URL")) and env.get("PERSONA_JOBS", "queue") == "queue"


class WorkerStartError(PersonaError):
    """The worker did not come up; its own output says why."""


class WorkerProcess:
    def __init__(self, env: Mapping[str, str], *, concurrency: int = 4, host: str = "127.0.0.1",
                 port: int | None = None, output: IO[bytes] | None = None) -> None:
        self.env = dict(env)
        self.concurrency = concurrency
        self.host = host
        self.port = port or free_port(host)
        # None: its log lines go to this terminal.
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where its /healthz and /metrics answer."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        cmd = [sys.executable, "-m", "bot.cli", "worker", "--concurrency", str(self.concurrency),
               "--host", self.host, "--port", str(self.port)]
        stderr = subprocess.STDOUT if self.output is not None else None
        self.process = subprocess.Popen(cmd, env=self.env, stdout=self.output, stderr=stderr,
                                        stdin=subprocess.DEVNULL, process_group=OWN_GROUP)
        try:
            healthy = wait_until_answers(f"{self.url}/healthz", self.process, timeout)
        except ExitedWhileStarting as exited:
            self.process = None
            raise WorkerStartError(f"the worker exited with code {exited.returncode} while starting") from None
        if not healthy:
            self.stop()
            raise WorkerStartError(f"the worker did not answer on {self.url}/healthz within {timeout:.0f} s")
        return self

    def kill(self) -> None:
        """SIGKILL, as an OOM kill or a lost node would: no chance to hand anything back."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL) if OWN_GROUP is not None else proc.kill()
            proc.wait(timeout=10)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, as an orchestrator's rolling restart sends it, then waits for the worker to exit by itself."""
        proc, self.process = self.process, None
        if proc is None:
            return 0
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return stop_process(proc, signal.SIGKILL, grace=1.0)

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            stop_process(proc, signal.SIGTERM)
