"""Where an answer appears in Slack, and how it is replaced as work progresses.

A persona arrives in steps ("working on it" → data part → full card). Each step replaces the previous one on the
same surface: through the `response_url` for ephemeral answers to a slash command or a click on an ephemeral
message (those cannot be edited with `chat.update`), or with `chat.postMessage` then `chat.update` for messages in
a channel, thread or DM.

A worker running a queued job sets a step log (`replaying`): each post, update or response_url send is then a
numbered step, done once per job. A job that runs again after its worker died replays the steps the first run
recorded (reusing the `ts` of the message it posted) instead of posting them again, so the user never gets a
second "working" message or a second card.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)


class Surface(Protocol):
    # True when only the requesting user sees the answer.
    ephemeral: bool

    def show(self, payload: dict[str, Any]) -> None:
        """Post the payload, replacing what this surface showed before."""

    def add(self, payload: dict[str, Any]) -> None:
        """Post the payload as a new message, leaving earlier ones in place."""

    def describe(self) -> dict[str, Any]:
        """Enough to rebuild this surface in another process (`surface_from`) and go on where it is."""


class StepLog(Protocol):
    def next_step(self) -> tuple[int, dict[str, Any] | None]:
        """This step's number, and what an earlier run of the same job recorded for it."""

    def record_step(self, index: int, outcome: dict[str, Any]) -> None:
        """Remember that the step was done (and the ts of a message it posted)."""


_steps: contextvars.ContextVar[StepLog | None] = contextvars.ContextVar("surface_steps", default=None)


@contextmanager
def replaying(steps: StepLog) -> Iterator[None]:
    """Within this block every surface does each of its Slack calls once per job, whatever runs it again."""
    token = _steps.set(steps)
    try:
        yield
    finally:
        _steps.reset(token)


def _once(op: str, perform: Callable[[], str | None]) -> str | None:
    """Perform a Slack side effect, unless an earlier run of this job already did: then return what it recorded."""
    steps = _steps.get()
    if steps is None:
        return perform()
    index, recorded = steps.next_step()
    if recorded is not None and recorded.get("op") == op:
        return recorded.get("ts")
    value = perform()
    steps.record_step(index, {"op": op, "ts": value})
    return value


class SurfaceError(Exception):
    """Slack refused the message; `.error` is Slack's error code (e.g. `is_archived`)."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


class ResponseUrlSurface:
    ephemeral = True

    def __init__(self, response_url: str, *, replace_first: bool = False):
        self._hook = WebhookClient(response_url, timeout=10)
        # Slash commands are acked with a "working" message, so the first step already replaces something.
        self._shown = replace_first

    def show(self, payload: dict[str, Any]) -> None:
        self._send({**payload, "response_type": "ephemeral", "replace_original": self._shown})
        self._shown = True

    def add(self, payload: dict[str, Any]) -> None:
        self._send({**payload, "response_type": "ephemeral", "replace_original": False})

    def describe(self) -> dict[str, Any]:
        """Enough to rebuild this surface in another process (a worker) and go on where it is."""
        return {"response_url": self._hook.url, "shown": self._shown}

    def _send(self, body: dict[str, Any]) -> None:
        _once("response_url", lambda: self._deliver(body))

    def _deliver(self, body: dict[str, Any]) -> None:
        try:
            response = self._hook.send_dict(body)
        except OSError as exc:
            # An unreachable response_url is Slack refusing the message, as far as the caller can tell.
            raise SurfaceError(f"response_url_unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            # Slack names a refused block in the body; the caller may resend the message in a simpler form.
            if "invalid_blocks" in (response.body or ""):
                raise SurfaceError("invalid_blocks")
            raise SurfaceError(f"response_url_{response.status_code}")
        return None


class MessageSurface:
    ephemeral = False

    def __init__(self, client: WebClient, channel: str, *, thread_ts: str | None = None, ts: str | None = None):
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        # The message this surface replaces; None until the first post.
        self.ts = ts

    def describe(self) -> dict[str, Any]:
        return {"channel": self.channel, "thread_ts": self.thread_ts, "ts": self.ts}

    def show(self, payload: dict[str, Any]) -> None:
        if self.ts is None:
            self.ts = self._post(payload)
            return
        _once("update", lambda: self._update(payload))

    def _update(self, payload: dict[str, Any]) -> None:
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, **payload)
        except SlackApiError as exc:
            raise SurfaceError(str(exc.response.get("error", "unknown_error"))) from None
        return None

    def add(self, payload: dict[str, Any]) -> None:
        self._post(payload)

    def remove(self) -> None:
        """Takes the message this surface shows away (best effort); a later `show` posts a new one."""
        if self.ts is None:
            return
        ts, self.ts = self.ts, None
        _once("delete", lambda: self._delete(ts))

    def _delete(self, ts: str) -> None:
        try:
            self.client.chat_delete(channel=self.channel, ts=ts)
        except SlackApiError as exc:
            log.warning("message_not_deleted", extra={"error": exc.response.get("error")})
        return None

    def _post(self, payload: dict[str, Any]) -> str:
        return str(_once("post", lambda: self._post_new(payload)))

    def _post_new(self, payload: dict[str, Any]) -> str:
        try:
            response = self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, **payload)
        except SlackApiError as exc:
            raise SurfaceError(str(exc.response.get("error", "unknown_error"))) from None
        # Replies in a DM or channel root become the thread for later follow-ups.
        return str(response["ts"])


def surface_from(client: WebClient, described: dict[str, Any]) -> Surface:
    """The surface another process described (`describe()`), showing what it showed."""
    if described.get("response_url"):
        return ResponseUrlSurface(str(described["response_url"]), replace_first=bool(described.get("shown")))
    return MessageSurface(client, str(described["channel"]), thread_ts=described.get("thread_ts"),
                          ts=described.get("ts"))
