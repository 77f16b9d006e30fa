"""The real bot, `persona-bot serve`, in a child process pointed at the stand-in.

A separate process runs the same server production runs, with nothing of the sandbox in its memory:
it gets the environment a deployment would (token, signing secret, API URL) and cannot tell it is not Slack.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

from bot.devtools.processes import ChildServer, ExitedWhileStarting, stop_process
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


class BotProcess(ChildServer):
    def start(self, timeout: float = 60.0) -> BotProcess:
        try:
            healthy = self.spawn(["serve", "--host", self.host, "--port", str(self.port), "--workers", "1"], timeout)
        except ExitedWhileStarting as exited:
            raise BotStartError(
                f"the bot exited with code {exited.returncode} while starting; see its messages above"
            ) from None
        if not healthy:
            self.stop()
            raise BotStartError(f"the bot did not answer on {self.url}/healthz within {timeout:.0f} s")
        return self

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            # SIGINT is the server's quick shutdown, and nothing here needs in-flight requests to finish; the group
            # is killed after a short grace whatever the server's own graceful timeout says.
            stop_process(proc, signal.SIGINT if os.name == "posix" else signal.SIGTERM)
