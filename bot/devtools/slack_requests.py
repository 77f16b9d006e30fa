"""Sends the requests Slack makes to an app as Slack sends them over HTTP.

`SlackRequestSender` encodes the payloads `SlackPayloads` builds (form bodies for commands, `payload=<json>` for
interactivity, JSON for events), signs them with the app's signing secret and POSTs them with urllib.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.devtools.slack_payloads import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_ID,
    VERIFICATION_TOKEN,
    ResponseUrlFactory,
    SlackPayloads,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class SentResponse(NamedTuple):
    """What the app answered."""

    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)



class SlackRequestSender:
    """Sends signed requests to an app's HTTP endpoint the way Slack does; every send returns a SentResponse."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        team_id: str = DEFAULT_TEAM_ID,
        *,
        api_app_id: str = DEFAULT_APP_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        response_url_factory: ResponseUrlFactory | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        self.payloads = SlackPayloads(
            team_id,
            api_app_id=api_app_id,
            bot_user_id=bot_user_id,
            response_url_factory=response_url_factory,
        )

    # -- signing and transport -----------------------------------------------------------------------------

    def signature_headers(self, body: str, timestamp: int | str | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = self._verifier.generate_signature(timestamp=ts, body=body) or ""
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        sign: bool = True,
    ) -> SentResponse:
        """POSTs `body`; with sign=False only `extra_headers` are sent, so tests can forge or drop signatures."""
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if sign:
            headers.update(self.signature_headers(body, timestamp))
        headers.update(extra_headers or {})
        request = urllib.request.Request(self.app_url, data=body.encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return SentResponse(resp.status, resp.read().decode("utf-8"), dict(resp.headers.items()))
        except urllib.error.HTTPError as err:
            return SentResponse(err.code, err.read().decode("utf-8"), dict(err.headers.items()))

    @staticmethod
    def _form(fields: Mapping[str, str]) -> tuple[str, str]:
        return urlencode(fields), FORM

    @staticmethod
    def _payload_form(payload: Mapping[str, Any]) -> tuple[str, str]:
        return urlencode({"payload": json.dumps(payload, ensure_ascii=False)}), FORM

    @staticmethod
    def _json(payload: Mapping[str, Any]) -> tuple[str, str]:
        return json.dumps(payload, ensure_ascii=False), JSON

    # -- builders: (body, content_type) --------------------------------------------------------------------

    def build_slash_command(self, text: str, **kwargs: Any) -> tuple[str, str]:
        return self._form(self.payloads.slash_command(text, **kwargs))

    def build_block_action(self, action_id: str, value: Any = None, **kwargs: Any) -> tuple[str, str]:
        return self._payload_form(self.payloads.block_actions(action_id, value, **kwargs))

    def build_view_submission(self, view: Mapping[str, Any], **kwargs: Any) -> tuple[str, str]:
        return self._payload_form(self.payloads.view_submission(view, **kwargs))

    def build_view_closed(self, view: Mapping[str, Any], **kwargs: Any) -> tuple[str, str]:
        return self._payload_form(self.payloads.view_closed(view, **kwargs))

    def build_block_suggestion(self, action_id: str, value: str, **kwargs: Any) -> tuple[str, str]:
        return self._payload_form(self.payloads.block_suggestion(action_id, value, **kwargs))

    def build_message_shortcut(self, callback_id: str, message: Mapping[str, Any], **kwargs: Any) -> tuple[str, str]:
        return self._payload_form(self.payloads.message_shortcut(callback_id, message, **kwargs))

    def build_event(self, event: Mapping[str, Any], event_id: str | None = None) -> tuple[str, str]:
        return self._json(self.payloads.event_callback(event, event_id=event_id))

    def build_url_verification(self, challenge: str) -> tuple[str, str]:
        return self._json({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})

    # -- senders -------------------------------------------------------------------------------------------

    def slash_command(
        self,
        text: str,
        user_id: str = "U1",
        channel_id: str = "C1",
        command: str = "/persona",
        response_url: str | None = None,
        trigger_id: str | None = None,
        *,
        timestamp: int | str | None = None,
    ) -> SentResponse:
        body, content_type = self.build_slash_command(
            text,
            user_id=user_id,
            channel_id=channel_id,
            command=command,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return self.post(body, content_type, timestamp=timestamp)

    def block_action(
        self,
        action_id: str,
        value: Any = None,
        user_id: str = "U1",
        channel_id: str = "C1",
        message: Mapping[str, Any] | None = None,
        *,
        timestamp: int | str | None = None,
        **kwargs: Any,
    ) -> SentResponse:
        """Keyword options as in `SlackPayloads.block_actions` (ephemeral, view, block_id, action_type, ...)."""
        body, content_type = self.build_block_action(
            action_id, value, user_id=user_id, channel_id=channel_id, message=message, **kwargs
        )
        return self.post(body, content_type, timestamp=timestamp)

    def view_submission(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        user_id: str = "U1",
        *,
        timestamp: int | str | None = None,
        **kwargs: Any,
    ) -> SentResponse:
        body, content_type = self.build_view_submission(view, values=values, user_id=user_id, **kwargs)
        return self.post(body, content_type, timestamp=timestamp)

    def block_suggestion(
        self,
        action_id: str,
        value: str,
        view: Mapping[str, Any] | None = None,
        user_id: str = "U1",
        *,
        timestamp: int | str | None = None,
        **kwargs: Any,
    ) -> SentResponse:
        """The app answers with JSON options: `sender.block_suggestion(...).json()["options"]`."""
        body, content_type = self.build_block_suggestion(action_id, value, view=view, user_id=user_id, **kwargs)
        return self.post(body, content_type, timestamp=timestamp)

    def message_shortcut(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        channel_id: str = "C1",
        user_id: str = "U1",
        *,
        timestamp: int | str | None = None,
        **kwargs: Any,
    ) -> SentResponse:
        body, content_type = self.build_message_shortcut(
            callback_id, message, channel_id=channel_id, user_id=user_id, **kwargs
        )
        return self.post(body, content_type, timestamp=timestamp)

    def event(
        self,
        event: Mapping[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        *,
        timestamp: int | str | None = None,
    ) -> SentResponse:
        body, content_type = self.build_event(event, event_id=event_id)
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.post(body, content_type, timestamp=timestamp, extra_headers=extra)

    def app_mention(
        self,
        text: str,
        channel: str = "C1",
        user: str = "U1",
        ts: str | None = None,
        thread_ts: str | None = None,
        **kwargs: Any,
    ) -> SentResponse:
        return self.event(self.payloads.app_mention_event(text, channel, user, ts, thread_ts), **kwargs)

    def dm_message(
        self, text: str, channel: str = "D1", user: str = "U1", ts: str | None = None, thread_ts: str | None = None,
        **kwargs: Any,
    ) -> SentResponse:
        return self.event(self.payloads.dm_message_event(text, channel, user, ts, thread_ts), **kwargs)

    def app_home_opened(self, user: str = "U1", channel: str | None = None, tab: str = "home",
                        **kwargs: Any) -> SentResponse:
        return self.event(self.payloads.app_home_opened_event(user, channel, tab), **kwargs)

    def url_verification(self, challenge: str, *, timestamp: int | str | None = None) -> SentResponse:
        body, content_type = self.build_url_verification(challenge)
        return self.post(body, content_type, timestamp=timestamp)
