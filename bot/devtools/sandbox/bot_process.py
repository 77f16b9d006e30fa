"""The real bot, `persona-bot serve`, in a child process pointed at the stand-in.

A separate process runs the same server production runs, with nothing of the sandbox in its memory:
it gets the environment a deployment would (token, signing secret, API URL) and cannot tell it is not Slack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from typing import IO

from bot.devtools.processes import OWN_GROUP, ExitedWhileStarting, free_port, stop_process, wait_until_answers
from bot.errors import PersonaError

# Local values: the stand-in accepts any bot token, and the secret is made fresh for every run.
SANDBOX_BOT_TOKEN = "xoxb-sandbox-local"


class BotStartError(PersonaError):
    """The bot process did not come up; its own output (on the terminal or in the log) says why."""


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
        # A group of its own: stop() reaches the workers too, and a Ctrl+C in the terminal reaches only
        # `persona-bot dev`, which then stops the bot in a bounded time.
        self.process = subprocess.Popen(cmd, env=self.env, stdout=self.output, stderr=stderr,
                                        stdin=subprocess.DEVNULL, process_group=OWN_GROUP)
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.process is not None
        try:
            healthy = wait_until_answers(f"{self.url}/healthz", self.process, timeout)
        except ExitedWhileStarting as exited:
            raise BotStartError(
                f"the bot exited with code {exited.returncode} while starting; see its messages above"
            ) from None
        if not healthy:
            self.stop()
            raise BotStartError(f"the bot did not answer on {self.url}/healthz within {timeout:.0f} s")

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            # SIGINT is the server's quick shutdown, and nothing here needs in-flight requests to finish; the group
            # is killed after a short grace whatever the server's own graceful timeout says.
            stop_process(proc, signal.SIGINT if os.name == "posix" else signal.SIGTERM)
