"""The real bot, `persona-bot serve`, in a child process pointed at the stand-in.

A separate process runs the same gunicorn server production runs, with nothing of the sandbox in its memory:
it gets the environment a deployment would (token, signing secret, API URL) and cannot tell it is not Slack.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from typing import IO

from bot.errors import PersonaError

# Local values: the stand-in accepts any bot token, and the secret is made fresh for every run.
SANDBOX_BOT_TOKEN = "xoxb-sandbox-local"


class BotStartError(PersonaError):
    """The bot process did not come up; its own output (on the terminal or in the log) says why."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# Settings that describe the Slack workspace, which here is the sandbox's: a production allow-list would turn
# the sandbox's workspace and channel away. Empty values also override a `.env` file.
_WORKSPACE_SETTINGS = {"PERSONA_ALLOWED_TEAMS": "", "PERSONA_ALLOWED_CHANNELS": ""}


def bot_environment(base: Mapping[str, str], *, api_url: str, signing_secret: str) -> dict[str, str]:
    """The caller's environment (LLM key, PERSONA_* settings, REDIS_URL pass through), Slack's replaced."""
    env = {k: v for k, v in base.items() if not k.startswith("SLACK_")}
    env.update(
        {
            "SLACK_API_URL": api_url,
            "SLACK_BOT_TOKEN": SANDBOX_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": signing_secret,
            **_WORKSPACE_SETTINGS,
        }
    )
    # The bot shares the terminal with a person, not a log pipeline, unless they asked for JSON.
    env.setdefault("PERSONA_LOG_FORMAT", "text")
    return env


class BotProcess:
    def __init__(self, env: Mapping[str, str], *, host: str = "127.0.0.1", port: int | None = None,
                 output: IO[bytes] | None = None) -> None:
        self.env = dict(env)
        self.host = host
        self.port = port or free_port(host)
        # None: the bot's own log lines go to this terminal, as they would from `persona-bot serve`.
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> BotProcess:
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", self.host, "--port", str(self.port),
               "--workers", "1"]
        stderr = subprocess.STDOUT if self.output is not None else None
        self.process = subprocess.Popen(cmd, env=self.env, stdout=self.output, stderr=stderr,
                                        stdin=subprocess.DEVNULL)
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise BotStartError(f"the bot exited with code {code} while starting; see its messages above")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise BotStartError(f"the bot did not answer on {self.url}/healthz within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        # SIGINT is gunicorn's quick shutdown: nothing here needs in-flight requests to finish.
        proc.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
