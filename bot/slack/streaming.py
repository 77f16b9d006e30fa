"""A written answer streamed into a thread as the model writes it: questions about a persona and follow-ups alike.

The stream is opened on the first text (slack_sdk's `chat_stream`: `chat.startStream`, `chat.appendStream`,
`chat.stopStream`), so an answer that never streams (cached, offline, written by another request) costs no stream
at all. Outside a DM Slack must be told whom the stream is for (`recipient_team_id`, `recipient_user_id`). The
stream ends with the answer's closing blocks (footer, feedback); when the checked answer is not what was streamed,
the message is replaced in place by it.

A stream Slack refuses (a workspace without streaming, a refused append or stop) is given up: the writing goes
on, and the finished answer reaches the thread whole, in the streamed message where there is one, else as the
caller's ordinary message. Nobody gets an error instead of an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.chat_stream import ChatStream

from bot.mrkdwn import escape
from bot.slack.surfaces import MessageSurface, SurfaceError

log = logging.getLogger(__name__)

# Characters gathered before each stream call: smaller shows text sooner, larger makes fewer calls to Slack.
STREAM_BUFFER = 120


class Ending(Enum):
    # Nothing reached Slack as a stream: the caller posts the answer as it would without one.
    NOT_STREAMED = "not_streamed"
    # The streamed text stands, closed by the answer's blocks.
    STREAMED = "streamed"
    # The streamed message now shows the whole checked answer instead (`finish`'s `whole`).
    REPLACED = "replaced"


class ThreadStream:
    """One answer streamed into `thread_ts`; `write` is the writer's `on_text`, `finish` closes it."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, *, user_id: str | None,
                 team_id: str | None, opening: str = "", on_open: Callable[[], None] | None = None):
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        # Outside a DM Slack must be told whom the stream is for.
        self.recipient = ({} if channel.startswith("D")
                          else {"recipient_team_id": team_id, "recipient_user_id": user_id})
        # Shown before the model's first words (mrkdwn-escaped by the caller), e.g. the answer's heading.
        self.opening = opening
        # Called once the stream's message exists, e.g. to take a "working on it" message away.
        self.on_open = on_open
        self._stream: ChatStream | None = None
        self._opened = False
        self.refused = False
        self.streamed_text = ""

    @property
    def shown(self) -> bool:
        """Whether some of the model's text has gone towards Slack as a stream (and may have been read)."""
        return self._stream is not None

    def write(self, piece: str) -> None:
        """The model's next piece of text, into the thread (the stream opens on the first one)."""
        self.streamed_text += piece
        if self.refused or not piece:
            return
        try:
            if self._stream is None:
                self._stream = self.client.chat_stream(channel=self.channel, thread_ts=self.thread_ts,
                                                       buffer_size=STREAM_BUFFER, **self.recipient)
                if self.opening:
                    self._stream.append(markdown_text=self.opening)
            self._stream.append(markdown_text=escape(piece))
        except (SlackApiError, SlackRequestError) as exc:
            self._give_up(exc)
        self._note_open()

    def finish(self, end_blocks: Sequence[dict[str, Any]], whole: dict[str, Any], *, replace: bool) -> Ending:
        """Stops the stream with `end_blocks`; with `replace` (or after Slack refused part of the stream) the
        message becomes `whole`, the checked answer's first message."""
        if self._stream is None:
            return Ending.NOT_STREAMED
        if not self.refused:
            try:
                self._stream.stop(blocks=list(end_blocks))
            except (SlackApiError, SlackRequestError) as exc:
                self._give_up(exc)
        ts = self._stream.ts
        self._note_open()
        if ts is None:
            return Ending.NOT_STREAMED
        if not replace and not self.refused:
            return Ending.STREAMED
        try:
            MessageSurface(self.client, self.channel, ts=ts).show(whole)
        except SurfaceError as exc:
            # The streamed message stays as it was; the answer still arrives, as a message of its own.
            log.warning("streamed_message_not_replaced", extra={"error": exc.error})
            return Ending.NOT_STREAMED
        return Ending.REPLACED

    def _note_open(self) -> None:
        if self._opened or self._stream is None or self._stream.ts is None:
            return
        self._opened = True
        if self.on_open is not None:
            self.on_open()

    def _give_up(self, exc: SlackApiError | SlackRequestError) -> None:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("stream_refused", extra={"error": error, "started": bool(self._stream and self._stream.ts)})
        self.refused = True
