"""`persona-bot worker` in a child process: for the sandbox (`dev` with REDIS_URL), the tests and the bench."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from typing import IO

from bot.devtools.processes import OWN_GROUP, ChildServer, ExitedWhileStarting, stop_process
from bot.errors import PersonaError


def queues_work(env: Mapping[str, str]) -> bool:
    """True when a bot with this environment hands its work to worker processes (REDIS_URL, queue not off)."""
    return bool(env.get("REDIS_URL")) and env.get("PERSONA_JOBS", "queue") == "queue"


class WorkerStartError(PersonaError):
    """The worker did not come up; its own output says why."""


class WorkerProcess(ChildServer):
    """`persona-bot worker`; its `url` is where its /healthz and /metrics answer."""

    def __init__(self, env: Mapping[str, str], *, concurrency: int = 4, host: str = "127.0.0.1",
                 port: int | None = None, output: IO[bytes] | None = None) -> None:
        super().__init__(env, host=host, port=port, output=output)
        self.concurrency = concurrency

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        args = ["worker", "--concurrency", str(self.concurrency), "--host", self.host, "--port", str(self.port)]
        try:
            healthy = self.spawn(args, timeout)
        except ExitedWhileStarting as exited:
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
