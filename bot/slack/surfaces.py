"""Where an answer appears in Slack, and how it is replaced as work progresses.

A persona arrives in steps ("working on it" → data part → full card). Each step replaces the previous one on the
same surface: through the `response_url` for ephemeral answers to a slash command or a click on an ephemeral
message (those cannot be edited with `chat.update`), or with `chat.postMessage` then `chat.update` for messages in
a channel, thread or DM.
"""

from __future__ import annotations

import logging
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

    def _send(self, body: dict[str, Any]) -> None:
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


class MessageSurface:
    ephemeral = False

    def __init__(self, client: WebClient, channel: str, *, thread_ts: str | None = None, ts: str | None = None):
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        # The message this surface replaces; None until the first post.
        self.ts = ts

    def show(self, payload: dict[str, Any]) -> None:
        if self.ts is None:
            self.ts = self._post(payload)
            return
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, **payload)
        except SlackApiError as exc:
            raise SurfaceError(str(exc.response.get("error", "unknown_error"))) from None

    def add(self, payload: dict[str, Any]) -> None:
        self._post(payload)

    def _post(self, payload: dict[str, Any]) -> str:
        try:
            response = self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, **payload)
        except SlackApiError as exc:
            raise SurfaceError(str(exc.response.get("error", "unknown_error"))) from None
        # Replies in a DM or channel root become the thread for later follow-ups.
        return str(response["ts"])
