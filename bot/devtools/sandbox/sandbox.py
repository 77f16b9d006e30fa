"""The whole sandbox: the Slack stand-in, the real bot in its own process, and the page, started in order.

With REDIS_URL the bot hands its work to a queue, as in production, so the sandbox also runs one
`persona-bot worker` beside it.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Mapping
from typing import IO

from bot.devtools.sandbox import workspace
from bot.devtools.sandbox.bot_process import BotProcess, bot_environment
from bot.devtools.sandbox.page_server import PageServer
from bot.devtools.sandbox.user_actions import UserActions
from bot.devtools.slack_requests import SlackRequestSender
from bot.devtools.slack_standin import SlackStandIn
from bot.devtools.worker_process import WorkerProcess, queues_work
from bot.errors import PersonaError


class PortInUse(PersonaError):
    exit_code = 2


class Sandbox:
    """`with Sandbox(port=3000) as sandbox: print(sandbox.url)`; stop() ends the bot process too."""

    def __init__(self, port: int = 3000, *, env: Mapping[str, str] | None = None,
                 bot_output: IO[bytes] | None = None) -> None:
        self.requested_port = port
        self.env = dict(os.environ if env is None else env)
        self.bot_output = bot_output
        self.page: PageServer | None = None
        self.standin: SlackStandIn | None = None
        self.bot: BotProcess | None = None
        self.worker: WorkerProcess | None = None
        self.actions: UserActions | None = None

    @property
    def url(self) -> str:
        if self.page is None:
            raise RuntimeError("the sandbox is not running")
        return f"{self.page.url}/"

    def start(self) -> Sandbox:
        try:
            # The page's port first: a taken port should fail before anything slow has started.
            self.page = PageServer(("127.0.0.1", self.requested_port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUse(
                    f"port {self.requested_port} is already in use; try `persona-bot dev --port "
                    f"{self.requested_port + 1}`"
                ) from None
            raise
        try:
            self.standin = SlackStandIn(team_name="Persona Sandbox").start()
            self.standin.add_channel(workspace.CHANNEL_ID, workspace.CHANNEL_NAME)
            self.standin.add_user(workspace.USER_ID, workspace.USER_NAME, real_name=workspace.USER_REAL_NAME)
            secret = secrets.token_hex(16)
            env = bot_environment(self.env, api_url=self.standin.api_url, signing_secret=secret)
            self.bot = BotProcess(env, output=self.bot_output).start()
            if queues_work(env):
                self.worker = WorkerProcess(env, output=self.bot_output).start()
            sender = SlackRequestSender(f"{self.bot.url}/slack/events", secret,
                                        team_id=self.standin.team_id, api_app_id=self.standin.app_id,
                                        bot_user_id=self.standin.bot_user_id,
                                        response_url_factory=self.standin.response_url)
            self.actions = UserActions(self.standin, sender)
            self.page.serve(self.actions)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        page, self.page = self.page, None
        if page is not None:
            page.stop()
        bot, self.bot = self.bot, None
        if bot is not None:
            bot.stop()
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()
        standin, self.standin = self.standin, None
        if standin is not None:
            standin.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
