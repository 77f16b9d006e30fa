"""A real `redis-server` for tests: started on a free port, killed and restarted on demand.

Without persistence by default (a cache that comes back empty); `persistent=True` runs it as a deployment that
holds a job queue should: an append-only file synced every second (docs/queue.md).

Tests that need it are skipped with a reason when `redis-server` is not installed, except in CI (CI=true), where a
missing server is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis import Redis

from bot.config import Settings
from tests.support.processes import OWN_GROUP, free_port, stop_process

START_TIMEOUT = 10.0


def require_redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        message = "redis-server is not installed (apt-get install -y redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI must run the Redis tests", pytrace=False)
        pytest.skip(message)
    return path


class RedisServer:
    def __init__(self, workdir: Path, port: int | None = None, *, persistent: bool = False):
        self.binary = require_redis_server()
        self.persistent = persistent
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> RedisServer:
        log = self.workdir / "redis.log"
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                *(["--appendonly", "yes", "--appendfsync", "everysec"] if self.persistent else ["--appendonly", "no"]),
                "--dir", str(self.workdir),
                "--logfile", str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            process_group=OWN_GROUP,
        )
        deadline = time.monotonic() + START_TIMEOUT
        probe = Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise RuntimeError(f"redis-server exited at start on port {self.port}:\n{detail}")
                try:
                    if probe.ping():
                        return self
                except Exception:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(f"redis-server did not answer on port {self.port}") from None
                    time.sleep(0.05)
        finally:
            probe.close()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no chance to close connections cleanly."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None

    def restart(self) -> RedisServer:
        """SIGKILL and start again on the same port, like a Redis that crashed and came back: empty without
        persistence, with what its append-only file holds otherwise."""
        self.kill()
        return self.start()


@contextmanager
def running_redis(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()


# The Redis fields live in Settings itself; the alias keeps the tests readable.
RedisSettings = Settings
