"""A local stand-in for Slack: Web API, response_url, file upload URLs and Socket Mode on one loopback port.

The real Bolt app and slack_sdk clients talk to it through `SLACK_API_URL` (`WebClient(base_url=standin.api_url)`).
It answers with the shapes and error codes Slack documents, records every call for assertions and keeps a small
conversation model (channels, messages, ephemeral messages, modals, App Home views, files) that tests and the
browser sandbox read. Rules that commonly break apps in production are enforced on purpose: archived and private
channels, `chat:write.public`, `include_locale`, Block Kit limits, view hashes, rate limits on demand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.devtools.slack_payloads import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
)
from bot.devtools.slack_standin.http_server import HttpEndpoints, StandInHTTPServer
from bot.devtools.slack_standin.protocol import DEFAULT_SCOPES, ApiError, Call, Failure
from bot.devtools.socket_mode_server import SocketModeHub


class SlackStandIn(HttpEndpoints):
    """Slack's Web API and Socket Mode on 127.0.0.1; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = DEFAULT_TEAM_ID,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        team_name: str = "Persona Sandbox",
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = DEFAULT_BOT_ID,
        app_id: str = DEFAULT_APP_ID,
        scopes: Iterable[str] | None = None,
        default_locale: str = "en-US",
        socket_ping_interval: float = 0.2,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.default_locale = default_locale
        self.scopes: set[str] = set(DEFAULT_SCOPES if scopes is None else scopes)
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._failures: dict[str, list[Failure]] = {}
        self.internal_errors: list[str] = []
        self._hub = SocketModeHub(app_id, ping_interval=socket_ping_interval)
        self._hub.on_ack = self._record_ack
        self._server: StandInHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Grows with every change anyone could see; the sandbox page long-polls on it instead of re-reading.
        self._revision = 0
        self._methods = self._method_table()
        self._init_model()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        if self._server is not None:
            return self
        self._server = StandInHTTPServer((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving. Close Socket Mode clients first, or they keep trying to reconnect to a dead port."""
        server, self._server = self._server, None
        if server is None:
            return
        self._hub.close()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        # A closed hub refuses connections; a fresh one lets start() be called again.
        self._hub = SocketModeHub(self.app_id, ping_interval=self._hub.ping_interval)
        self._hub.on_ack = self._record_ack

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL / WebClient(base_url=...); slack_sdk urljoins the method onto it."""
        return f"{self.base_url}/api/"

    # -- recorded calls -----------------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, predicate: Callable[[Call], bool] | None = None, timeout: float = 10.0) -> Call:
        """The first call to `method` (matching `predicate`) recorded so far or arriving within `timeout`."""
        found: list[Call] = []

        def match() -> bool:
            found[:] = [c for c in self._calls if c.method == method and (predicate is None or predicate(c))][:1]
            return bool(found)

        with self._cond:
            if not self._cond.wait_for(match, timeout):
                seen = [c.method for c in self._calls]
                which = " matching the predicate" if predicate is not None else ""
                raise AssertionError(f"no {method} call{which} within {timeout} s; seen: {seen}")
            return found[0]

    def reset(self, *, model: bool = False) -> None:
        """Forgets calls, pending failures and Socket Mode acks; with model=True also the conversation model."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self.internal_errors.clear()
            if model:
                self._init_model()
            self._changed()
        self._hub.reset()

    def refuse_charts(self, refuse: bool = True) -> None:
        """Answer every message holding a chart block with `invalid_blocks`, as a Slack without charts does."""
        with self._cond:
            self.charts_refused = refuse

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """The next `times` calls to `method` fail with `error` (HTTP 429 + Retry-After for "ratelimited")."""
        if status is None:
            status = 429 if error == "ratelimited" else 200
        with self._cond:
            self._failures.setdefault(method, []).append(Failure(error, status, retry_after, times))

    def _take_failure(self, method: str) -> ApiError | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
        return ApiError(failure.error, status=failure.status, headers=headers)

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._changed()

    def _changed(self) -> None:
        with self._cond:
            self._revision += 1
            self._cond.notify_all()

    def mark_changed(self) -> None:
        """Wakes long-polls for a change made outside the stand-in (the sandbox closing a modal)."""
        self._changed()

    @property
    def revision(self) -> int:
        """A counter that grows whenever a call is recorded or the model changes."""
        with self._cond:
            return self._revision

    def wait_for_revision(self, after: int, timeout: float) -> int:
        """The revision once it is past `after`, or the current one when `timeout` runs out (a long-poll)."""
        with self._cond:
            self._cond.wait_for(lambda: self._revision > after, timeout)
            return self._revision

    def _record_ack(self, ack: dict[str, Any]) -> None:
        self._record(Call("socket_mode.ack", dict(ack), {}, None, time.monotonic(), 200, {"ok": True}, "/link/"))

    def set_scopes(self, scopes: Iterable[str]) -> None:
        with self._cond:
            self.scopes = set(scopes)

    # -- Socket Mode --------------------------------------------------------------------------------------------

    def socket_send(
        self,
        payload_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Pushes an envelope ("slash_commands", "interactive", "events_api") to the connected client."""
        return self._hub.send_envelope(
            payload_type,
            payload,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            connect_timeout=timeout,
        )

    def socket_wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return self._hub.wait_ack(envelope_id, timeout)

    def socket_wait_connected(self, timeout: float = 5.0, *, accepted: int = 1) -> None:
        """Waits for a live client; `accepted=2` waits for a reconnection after `socket_disconnect`."""
        self._hub.wait_connected(timeout, accepted=accepted)

    def socket_disconnect(self, reason: str = "refresh_requested") -> int:
        """Sends Slack's `disconnect` message; returns how many connections got it."""
        return self._hub.send_disconnect(reason)

    @property
    def socket_connections(self) -> int:
        return len(self._hub.connections())
