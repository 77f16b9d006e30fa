"""A local stand-in for Slack: Web API, response_url, file upload URLs and Socket Mode on one loopback port.

The real Bolt app and slack_sdk clients talk to it through `SLACK_API_URL` (`WebClient(base_url=standin.api_url)`).
It answers with the shapes and error codes Slack documents, records every call for assertions and keeps a small
conversation model (channels, messages, ephemeral messages, modals, App Home views, files) that tests and the
browser sandbox read. Rules that commonly break apps in production are enforced on purpose: archived and private
channels, `chat:write.public`, `include_locale`, Block Kit limits, view hashes, rate limits on demand.
"""

from __future__ import annotations

import copy
import email.parser
import itertools
import json
import mimetypes
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from bot.devtools.slack_requests import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
)
from bot.devtools.socket_mode_server import SocketModeHub

DEFAULT_SCOPES = frozenset(
    {
        "app_mentions:read",
        "channels:history",
        "channels:join",
        "channels:read",
        "chat:write",
        "chat:write.public",
        "commands",
        "files:write",
        "groups:history",
        "groups:read",
        "im:history",
        "im:read",
        "im:write",
        "reactions:write",
        "users:read",
    }
)

_REQUIRED_SCOPE = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "users.info": "users:read",
    "conversations.join": "channels:join",
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "reactions.add": "reactions:write",
}

# Slack's limits as documented for Block Kit; the stand-in checks them independently of the app's own checks.
_MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_SECTION_TEXT = 3000
_MAX_HEADER_TEXT = 150
_MAX_BUTTON_TEXT = 75
_MAX_ID = 255
_MAX_MODAL_TITLE = 24
_MAX_PRIVATE_METADATA = 3000

_FIRST_TS = 1_700_000_000_000_100  # microseconds; shown as "1700000000.000100"
_ID_RE = re.compile(r"[A-Z0-9]+")
_JSON_FIELDS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}


class _ApiError(Exception):
    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def _invalid(error: str, messages: list[str]) -> _ApiError:
    return _ApiError(error, extra={"response_metadata": {"messages": messages}})


@dataclass(frozen=True, eq=False)
class Call:
    """One request the stand-in received. `token` is kept here and removed from `headers`."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    time: float
    status: int
    response: dict[str, Any]
    path: str

    @property
    def token_sent(self) -> bool:
        return self.token is not None

    @property
    def token_type(self) -> str | None:
        return _token_type(self.token)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = True
    is_im: bool = False
    user: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": self.is_member,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_shared": False,
            "created": 1_600_000_000,
            **({"user": self.user} if self.user else {}),
        }


@dataclass
class _ResponseTarget:
    channel_id: str
    user_id: str
    message_ts: str | None
    thread_ts: str | None


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int
    remaining: int


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> _Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers or {}))


def _token_type(token: str | None) -> str | None:
    if not token:
        return None
    for prefix, kind in (("xoxb-", "bot"), ("xoxp-", "user"), ("xapp-", "app")):
        if token.startswith(prefix):
            return kind
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, int | str) and str(value).lower() in ("1", "true"))


def _form(text: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _merge_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Query string, form body and JSON body merged, as Slack accepts arguments from any of them."""
    params: dict[str, Any] = _form(query)
    kind = content_type.split(";")[0].strip().lower()
    if body:
        if kind == "application/json":
            try:
                data = json.loads(body)
            except ValueError as err:
                raise _ApiError("invalid_json") from err
            if not isinstance(data, dict):
                raise _ApiError("invalid_json")
            params.update(data)
        elif kind in ("application/x-www-form-urlencoded", ""):
            params.update(_form(body.decode("utf-8", errors="replace")))
        else:
            raise _ApiError("invalid_form_data")
    for key, error in _JSON_FIELDS.items():
        if isinstance(params.get(key), str) and params[key]:
            try:
                params[key] = json.loads(params[key])
            except ValueError as err:
                raise _ApiError(error) from err
    return params


def _multipart_file(content_type: str, body: bytes) -> tuple[bytes, str | None]:
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    for part in message.walk():
        if part.get_filename() is not None or part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True) or b"", part.get_filename()
    return body, None


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def block_problems(blocks: Any, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Slack-style `[ERROR] ... [json-pointer:...]` messages for the Block Kit limits the stand-in enforces."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must provide an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not block.get("type"):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > _MAX_ID:
                problems.append(f"[ERROR] must be less than {_MAX_ID + 1} characters [json-pointer:{where}/block_id]")
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{where}/block_id]")
            block_ids.add(block_id)
        limit = {"section": _MAX_SECTION_TEXT, "header": _MAX_HEADER_TEXT}.get(block["type"])
        if limit is not None and len(_text_of(block.get("text"))) > limit:
            problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}/text/text]")
        for key, element in _block_elements(block):
            action_id = element.get("action_id")
            if action_id is not None:
                if action_id in action_ids:
                    problems.append(f"[ERROR] duplicate action_id [json-pointer:{where}/{key}/action_id]")
                action_ids.add(action_id)
            if element.get("type") == "button" and len(_text_of(element.get("text"))) > _MAX_BUTTON_TEXT:
                limit_text = f"must be less than {_MAX_BUTTON_TEXT + 1} characters"
                problems.append(f"[ERROR] {limit_text} [json-pointer:{where}/{key}/text/text]")
    return problems


def _block_elements(block: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield key, block[key]
    if block.get("type") in ("actions", "context"):
        for index, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict):
                yield f"elements/{index}", element


def _view_problems(view: Any, kind: str) -> list[str]:
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    problems: list[str] = []
    if view.get("type") != kind:
        problems.append(f"[ERROR] must be '{kind}' [json-pointer:/view/type]")
    if kind == "modal":
        title = _text_of(view.get("title"))
        if not title:
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        elif len(title) > _MAX_MODAL_TITLE:
            problems.append(
                f"[ERROR] must be less than {_MAX_MODAL_TITLE + 1} characters [json-pointer:/view/title/text]"
            )
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and not view.get("submit"):
            problems.append("[ERROR] submit is required when an input block is present [json-pointer:/view/submit]")
    if len(str(view.get("private_metadata") or "")) > _MAX_PRIVATE_METADATA:
        problems.append(
            f"[ERROR] must be less than {_MAX_PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]"
        )
    if len(str(view.get("callback_id") or "")) > _MAX_ID:
        problems.append(f"[ERROR] must be less than {_MAX_ID + 1} characters [json-pointer:/view/callback_id]")
    problems.extend(block_problems(view.get("blocks", []), _MAX_VIEW_BLOCKS, "/view/blocks"))
    return problems


def _api_message(msg: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in msg.items() if v is not None and k not in ("channel", "ephemeral_user")}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Slack takes bursts; socketserver's backlog of 5 would reset or delay (SYN retried after 1 s) the bot's calls
    # under load, a latency of this stand-in rather than of the bot.
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], standin: SlackStandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Every call is recorded in `SlackStandIn.calls`; access logs would only clutter test output.
        return

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        standin = self.server.standin
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.close_connection = True
            standin._hub.serve(self)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = standin._dispatch(self.command, self.path, dict(self.headers.items()), body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


class SlackStandIn:
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
        self._failures: dict[str, list[_Failure]] = {}
        self.internal_errors: list[str] = []
        self._hub = SocketModeHub(app_id, ping_interval=socket_ping_interval)
        self._hub.on_ack = self._record_ack
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Grows with every change anyone could see; the sandbox page long-polls on it instead of re-reading.
        self._revision = 0
        self._methods: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "reactions.add": self._reactions_add,
            "apps.connections.open": self._apps_connections_open,
        }
        self._init_model()

    def _init_model(self) -> None:
        self._ts = _FIRST_TS - 100
        self._ids = itertools.count(1)
        self._channels: dict[str, Channel] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._home: dict[str, dict[str, Any]] = {}
        self._last_modal: str | None = None
        self._uploads: dict[str, dict[str, Any]] = {}
        self._files: list[dict[str, Any]] = []
        self._responses: dict[str, _ResponseTarget] = {}
        self.add_user(self.bot_user_id, name="persona-bot", is_bot=True)

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self._requested_port), self)
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

    # -- recorded calls ----------------------------------------------------------------------------------------

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
            self._failures.setdefault(method, []).append(_Failure(error, status, retry_after, times))

    def _take_failure(self, method: str) -> _ApiError | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
        return _ApiError(failure.error, status=failure.status, headers=headers)

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

    # -- model setup -------------------------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
    ) -> Channel:
        with self._cond:
            channel = Channel(
                channel_id,
                name or channel_id.lower(),
                is_private=is_private,
                is_archived=is_archived,
                is_member=is_member,
                is_im=channel_id.startswith("D"),
            )
            self._channels[channel_id] = channel
            self._changed()
            return channel

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        locale: str | None = None,
        *,
        real_name: str | None = None,
        tz: str = "Asia/Taipei",
        tz_offset: int = 8 * 3600,
        is_bot: bool = False,
    ) -> None:
        with self._cond:
            self._users[user_id] = {
                "id": user_id,
                "name": name or user_id.lower(),
                "real_name": real_name or name or user_id,
                "locale": locale or self.default_locale,
                "tz": tz,
                "tz_offset": tz_offset,
                "is_bot": is_bot,
            }

    def set_scopes(self, scopes: Iterable[str]) -> None:
        with self._cond:
            self.scopes = set(scopes)

    def post_user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        """A message typed by a person (the sandbox's input box); pair it with the matching Events API event."""
        with self._cond:
            ch = self._channel(channel)
            msg = self._store(ch.id, text=text, blocks=None, thread_ts=thread_ts, user=user)
            self._changed()
            return copy.deepcopy(msg)

    def post_command_reply(self, channel: str, user: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """What Slack shows for a slash command acked with a message: ephemeral unless `in_channel`.

        Raises ValueError with Slack's messages when the blocks break Block Kit's limits, as Slack then shows
        the user an error instead of the message.
        """
        blocks = payload.get("blocks")
        if blocks is not None:
            problems = block_problems(blocks, _MAX_MESSAGE_BLOCKS)
            if problems:
                raise ValueError("; ".join(problems))
        with self._cond:
            ch = self._channel(channel)
            in_channel = payload.get("response_type") == "in_channel"
            msg = self._store(
                ch.id,
                text=str(payload.get("text") or ""),
                blocks=blocks,
                thread_ts=None,
                ephemeral_user=None if in_channel else user,
            )
            self._changed()
            return copy.deepcopy(msg)

    # -- model reads -------------------------------------------------------------------------------------------

    def messages(
        self,
        channel: str,
        thread_ts: str | None = None,
        *,
        include_replies: bool = False,
        include_ephemeral: bool = True,
    ) -> list[dict[str, Any]]:
        """Messages oldest first: top level by default, a thread's parent and replies with `thread_ts`."""
        with self._cond:
            result = []
            for msg in self._messages.get(channel, []):
                if not include_ephemeral and msg["ephemeral_user"]:
                    continue
                if thread_ts is not None:
                    keep = msg["ts"] == thread_ts or msg["thread_ts"] == thread_ts
                else:
                    keep = include_replies or not self._is_reply(msg)
                if keep:
                    result.append(copy.deepcopy(msg))
            return result

    @staticmethod
    def _is_reply(msg: Mapping[str, Any]) -> bool:
        return bool(msg["thread_ts"]) and msg["thread_ts"] != msg["ts"] and not msg.get("reply_broadcast")

    @property
    def channels(self) -> dict[str, Channel]:
        with self._cond:
            return copy.deepcopy(self._channels)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Modals by view id: {"id", "view" (latest view object), "trigger_id", "pushed", "updates"}."""
        with self._cond:
            return copy.deepcopy(self._views)

    @property
    def home(self) -> dict[str, dict[str, Any]]:
        """The App Home view last published for each user."""
        with self._cond:
            return copy.deepcopy(self._home)

    @property
    def files(self) -> list[dict[str, Any]]:
        """Completed uploads: id, name, title, content (bytes), channel_id, thread_ts, initial_comment, ts."""
        with self._cond:
            return copy.deepcopy(self._files)

    def snapshot(self) -> dict[str, Any]:
        """The conversation model as JSON-safe data (what the sandbox page renders)."""
        with self._cond:
            files = [
                {k: v for k, v in f.items() if k != "content"}
                | {"preview": f["content"][:4000].decode("utf-8", errors="replace")}
                for f in self._files
            ]
            return copy.deepcopy(
                {
                    "team": {"id": self.team_id, "domain": self.team_domain, "name": self.team_name},
                    "bot": {"user_id": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id},
                    "channels": {cid: ch.to_api() for cid, ch in self._channels.items()},
                    "messages": self._messages,
                    "views": self._views,
                    "home": self._home,
                    "files": files,
                    "revision": self._revision,
                }
            )

    # -- response_url ------------------------------------------------------------------------------------------

    def response_url(
        self,
        name: str | None = None,
        *,
        channel_id: str = "C1",
        user_id: str = "U1",
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """A response_url under the stand-in, bound to the channel and user (and source message) it answers."""
        with self._cond:
            name = name or f"r{next(self._ids)}"
            self._responses[name] = _ResponseTarget(channel_id, user_id, message_ts, thread_ts)
        return f"{self.base_url}/response_url/{quote(name, safe='')}"

    # -- Socket Mode -------------------------------------------------------------------------------------------

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

    # -- HTTP dispatch -----------------------------------------------------------------------------------------

    def _dispatch(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        url = urlsplit(raw_path)
        path = url.path
        try:
            if path.startswith("/api/"):
                return self._web_api(path[len("/api/") :], url.query, headers, body)
            if path.startswith("/upload/") and verb == "POST":
                return self._upload(unquote(path[len("/upload/") :]), headers, body)
            if path.startswith("/response_url/") and verb == "POST":
                return self._response_url_post(unquote(path[len("/response_url/") :]), headers, body)
            if path.startswith("/files/") and verb == "GET":
                return self._download(unquote(path[len("/files/") :]))
            if path == "/_standin/state" and verb == "GET":
                return _Reply.json(200, self.snapshot())
            return _Reply.json(404, {"ok": False, "error": "not_found"})
        except Exception:
            # A stand-in bug must surface in the test, not masquerade as a Slack error the app then handles.
            with self._cond:
                self.internal_errors.append(traceback.format_exc())
            return _Reply.json(500, {"ok": False, "error": "fatal_error"})

    @staticmethod
    def _clean_headers(headers: Mapping[str, str]) -> dict[str, str]:
        return {k.lower(): v for k, v in headers.items() if k.lower() != "authorization"}

    def _web_api(self, method: str, query: str, headers: dict[str, str], body: bytes) -> _Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        auth = lowered.get("authorization", "")
        token: str | None = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
        params: dict[str, Any] = {}
        with self._cond:
            try:
                params = _merge_params(query, lowered.get("content-type", ""), body)
                form_token = params.pop("token", None)
                token = token or (str(form_token) if form_token else None)
                failure = self._take_failure(method)
                if failure is not None:
                    raise failure
                kind = self._check_token(method, token)
                self._check_scope(method)
                handler = self._methods.get(method)
                if handler is None:
                    raise _ApiError("unknown_method", extra={"req_method": method})
                status, response, extra_headers = 200, {"ok": True, **handler(params, kind)}, {}
            except _ApiError as err:
                status, response, extra_headers = (
                    err.status,
                    {"ok": False, "error": err.error, **err.extra},
                    err.headers,
                )
            self._record(
                Call(
                    method,
                    params,
                    self._clean_headers(headers),
                    token,
                    time.monotonic(),
                    status,
                    response,
                    f"/api/{method}",
                )
            )
            extra_headers = {"X-OAuth-Scopes": ",".join(sorted(self.scopes)), **extra_headers}
            return _Reply.json(status, response, extra_headers)

    def _check_token(self, method: str, token: str | None) -> str:
        if not token:
            raise _ApiError("not_authed")
        kind = _token_type(token)
        if kind is None:
            raise _ApiError("invalid_auth")
        if (method == "apps.connections.open") != (kind == "app"):
            raise _ApiError("not_allowed_token_type")
        return kind

    def _check_scope(self, method: str) -> None:
        needed = _REQUIRED_SCOPE.get(method)
        if needed is not None and needed not in self.scopes:
            raise _ApiError("missing_scope", extra={"needed": needed, "provided": ",".join(sorted(self.scopes))})

    # -- conversation model internals (callers hold self._cond) ------------------------------------------------

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _im_for(self, user_id: str) -> Channel:
        # A user id as `channel` means the app's DM with that user; U1 maps to D1 to match the sender's defaults.
        im_id = "D" + user_id[1:]
        channel = self._channels.get(im_id)
        if channel is None:
            channel = Channel(im_id, "", is_im=True, user=user_id)
            self._channels[im_id] = channel
        return channel

    def _channel(self, ref: Any) -> Channel:
        ref = str(ref or "").strip()
        if not ref:
            raise _ApiError("channel_not_found")
        if not _ID_RE.fullmatch(ref):
            name = ref.lstrip("#")
            for channel in self._channels.values():
                if channel.name == name:
                    return channel
            raise _ApiError("channel_not_found")
        channel = self._channels.get(ref)
        if channel is None:
            if ref[0] in "UW":
                return self._im_for(ref)
            is_im = ref.startswith("D")
            channel = Channel(ref, "" if is_im else ref.lower(), is_im=is_im)
            self._channels[ref] = channel
        return channel

    def _postable(self, ref: Any, *, public_scope_applies: bool = True) -> Channel:
        channel = self._channel(ref)
        if channel.is_archived:
            raise _ApiError("is_archived")
        if not channel.is_member and not channel.is_im:
            if channel.is_private:
                raise _ApiError("channel_not_found")
            if not (public_scope_applies and "chat:write.public" in self.scopes):
                raise _ApiError("not_in_channel")
        return channel

    def _readable(self, ref: Any, *, need_membership: bool) -> Channel:
        channel = self._channel(ref)
        if not channel.is_member and not channel.is_im:
            if channel.is_private:
                raise _ApiError("channel_not_found")
            if need_membership:
                raise _ApiError("not_in_channel")
        return channel

    def _store(
        self,
        channel_id: str,
        *,
        text: str,
        blocks: Any,
        thread_ts: str | None,
        user: str | None = None,
        ephemeral_user: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        ts = self._next_ts()
        by_bot = user is None
        msg: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "channel": channel_id,
            "user": self.bot_user_id if by_bot else user,
            "bot_id": self.bot_id if by_bot else None,
            "app_id": self.app_id if by_bot else None,
            "team": self.team_id,
            "text": text,
            "blocks": copy.deepcopy(blocks) if blocks is not None else [],
            "thread_ts": thread_ts or None,
            "ephemeral_user": ephemeral_user,
            **dict(extra or {}),
        }
        self._messages.setdefault(channel_id, []).append(msg)
        if thread_ts and not ephemeral_user:
            parent = self._find(channel_id, thread_ts)
            if parent is not None and parent is not msg:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = ts
        return msg

    def _find(self, channel_id: str, ts: Any, *, ephemeral: bool | None = False) -> dict[str, Any] | None:
        for msg in self._messages.get(channel_id, []):
            if msg["ts"] == ts and (ephemeral is None or bool(msg["ephemeral_user"]) == ephemeral):
                return msg
        return None

    def _message_content(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        text = str(params.get("text") or "")
        blocks = params.get("blocks")
        if not text and not blocks and not params.get("attachments"):
            raise _ApiError("no_text")
        if blocks is not None:
            problems = block_problems(blocks, _MAX_MESSAGE_BLOCKS)
            if problems:
                raise _invalid("invalid_blocks", problems)
        return text, blocks

    # -- Web API methods ---------------------------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        result = {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "persona-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "is_enterprise_install": False,
        }
        if kind == "bot":
            result["bot_id"] = self.bot_id
        return result

    def _chat_post_message(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._postable(params.get("channel"))
        text, blocks = self._message_content(params)
        extra = {"reply_broadcast": True} if _truthy(params.get("reply_broadcast")) else {}
        if params.get("metadata"):
            extra["metadata"] = params["metadata"]
        msg = self._store(channel.id, text=text, blocks=blocks, thread_ts=params.get("thread_ts"), extra=extra)
        return {"channel": channel.id, "ts": msg["ts"], "message": _api_message(msg)}

    def _chat_post_ephemeral(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._postable(params.get("channel"))
        user = str(params.get("user") or "")
        if not user:
            raise _ApiError("user_not_found")
        text, blocks = self._message_content(params)
        msg = self._store(channel.id, text=text, blocks=blocks, thread_ts=params.get("thread_ts"), ephemeral_user=user)
        return {"message_ts": msg["ts"]}

    def _own_message(self, params: Mapping[str, Any], refusal: str) -> tuple[Channel, dict[str, Any]]:
        channel = self._readable(params.get("channel"), need_membership=False)
        msg = self._find(channel.id, params.get("ts"))
        if msg is None:
            # Ephemeral messages are not addressable through chat.update/delete, only through response_url.
            raise _ApiError("message_not_found")
        if msg["bot_id"] != self.bot_id:
            raise _ApiError(refusal)
        return channel, msg

    def _chat_update(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel, msg = self._own_message(params, "cant_update_message")
        # Omitted fields keep their old value, as in Slack; validate everything before touching the message.
        blocks = params["blocks"] if params.get("blocks") is not None else msg["blocks"]
        text = str(params.get("text") or "") if "text" in params else msg["text"]
        problems = block_problems(blocks, _MAX_MESSAGE_BLOCKS)
        if problems:
            raise _invalid("invalid_blocks", problems)
        if not text and not blocks:
            raise _ApiError("no_text")
        msg["blocks"] = copy.deepcopy(blocks)
        msg["text"] = text
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel.id, "ts": msg["ts"], "text": msg["text"], "message": _api_message(msg)}

    def _chat_delete(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel, msg = self._own_message(params, "cant_delete_message")
        self._messages[channel.id].remove(msg)
        return {"channel": channel.id, "ts": msg["ts"]}

    def _chat_get_permalink(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=False)
        ts = str(params.get("message_ts") or "")
        if self._find(channel.id, ts) is None:
            raise _ApiError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    def _new_view(self, payload: Mapping[str, Any], view_id: str, root_view_id: str | None) -> dict[str, Any]:
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": payload["type"],
            "blocks": copy.deepcopy(payload.get("blocks", [])),
            "private_metadata": payload.get("private_metadata", ""),
            "callback_id": payload.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._ids)}",
            "title": copy.deepcopy(payload.get("title")),
            "close": copy.deepcopy(payload.get("close")),
            "submit": copy.deepcopy(payload.get("submit")),
            "clear_on_close": bool(payload.get("clear_on_close", False)),
            "notify_on_close": bool(payload.get("notify_on_close", False)),
            "external_id": payload.get("external_id", ""),
            "previous_view_id": None,
            "root_view_id": root_view_id or view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _checked_view(self, params: Mapping[str, Any], kind: str) -> dict[str, Any]:
        problems = _view_problems(params.get("view"), kind)
        if problems:
            raise _invalid("invalid_arguments", problems)
        return dict(params["view"])

    def _open_modal(self, params: dict[str, Any], *, pushed: bool) -> dict[str, Any]:
        trigger = str(params.get("trigger_id") or "")
        if not trigger:
            raise _invalid("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        payload = self._checked_view(params, "modal")
        view_id = self._new_id("V")
        previous = self._views.get(self._last_modal or "") if pushed else None
        view = self._new_view(payload, view_id, previous["view"]["root_view_id"] if previous else None)
        if previous is not None:
            view["previous_view_id"] = previous["id"]
        self._views[view_id] = {"id": view_id, "view": view, "trigger_id": trigger, "pushed": pushed, "updates": 0}
        self._last_modal = view_id
        return {"view": copy.deepcopy(view)}

    def _views_open(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        return self._open_modal(params, pushed=False)

    def _views_push(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        return self._open_modal(params, pushed=True)

    def _views_update(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _invalid("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
        entry = next(
            (
                e
                for e in self._views.values()
                if e["id"] == view_id or (external_id and e["view"]["external_id"] == external_id)
            ),
            None,
        )
        home_user = next((u for u, v in self._home.items() if v["id"] == view_id), None)
        if entry is None and home_user is None:
            raise _ApiError("not_found")
        current = entry["view"] if entry is not None else self._home[home_user or ""]
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        payload = self._checked_view(params, current["type"])
        view = self._new_view(payload, current["id"], current["root_view_id"])
        view["previous_view_id"] = current["previous_view_id"]
        if entry is not None:
            entry["view"] = view
            entry["updates"] += 1
        else:
            self._home[home_user or ""] = view
        return {"view": copy.deepcopy(view)}

    def _views_publish(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        user = str(params.get("user_id") or "")
        if not user:
            raise _invalid("invalid_arguments", ["[ERROR] missing required field: user_id"])
        payload = self._checked_view(params, "home")
        current = self._home.get(user)
        if current is not None and params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view_id = current["id"] if current is not None else self._new_id("V")
        view = self._new_view(payload, view_id, None)
        self._home[user] = view
        return {"view": copy.deepcopy(view)}

    def _users_info(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id:
            raise _ApiError("user_not_found")
        if user_id not in self._users:
            self.add_user(user_id)
        user = self._users[user_id]
        result: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user["name"],
            "deleted": False,
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": user["tz"],
            "tz_offset": user["tz_offset"],
            "profile": {
                "real_name": user["real_name"],
                "display_name": user["name"],
                "real_name_normalized": user["real_name"],
                "display_name_normalized": user["name"],
                "team": self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "updated": 1_700_000_000,
        }
        # Slack only includes the locale when asked; an app that forgets include_locale sees none.
        if _truthy(params.get("include_locale")):
            result["locale"] = user["locale"]
        return {"user": result}

    def _conversations_info(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        return {"channel": self._readable(params.get("channel"), need_membership=False).to_api()}

    def _conversations_join(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        if channel.is_im or channel.is_private:
            raise _ApiError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise _ApiError("is_archived")
        result: dict[str, Any] = {}
        if channel.is_member:
            result = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
        channel.is_member = True
        return {"channel": channel.to_api(), **result}

    def _conversations_open(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise _ApiError("users_list_not_supplied" if not users else "not_enough_users")
        return {"channel": {"id": self._im_for(users[0]).id}}

    def _conversations_history(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=True)
        limit = int(params.get("limit") or 100)
        top = [m for m in self._messages.get(channel.id, []) if not m["ephemeral_user"] and not self._is_reply(m)]
        newest_first = list(reversed(top))
        return {"messages": [_api_message(m) for m in newest_first[:limit]], "has_more": len(top) > limit}

    def _conversations_replies(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=True)
        ts = params.get("ts")
        if self._find(channel.id, ts) is None:
            raise _ApiError("thread_not_found")
        thread = [
            m
            for m in self._messages.get(channel.id, [])
            if not m["ephemeral_user"] and (m["ts"] == ts or m["thread_ts"] == ts)
        ]
        return {"messages": [_api_message(m) for m in thread], "has_more": False}

    def _files_get_upload_url(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            raise _invalid("invalid_arguments", ["[ERROR] filename and a positive length are required"])
        file_id = self._new_id("F")
        self._uploads[file_id] = {
            "id": file_id,
            "name": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
            "snippet_type": params.get("snippet_type"),
            "content": None,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _file_object(self, upload: Mapping[str, Any], title: str, channel: Channel | None) -> dict[str, Any]:
        name = upload["name"]
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        now = int(time.time())
        shared = [channel.id] if channel is not None else []
        return {
            "id": upload["id"],
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title,
            "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "filetype": {"md": "markdown", "txt": "text"}.get(extension, extension or "binary"),
            "user": self.bot_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(upload["content"]),
            "mode": "hosted",
            "is_external": False,
            "is_public": bool(channel and not channel.is_private and not channel.is_im),
            "url_private": f"{self.base_url}/files/{upload['id']}/{quote(name)}",
            "url_private_download": f"{self.base_url}/files/{upload['id']}/{quote(name)}?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload['id']}/{quote(name)}",
            "channels": [c for c in shared if channel and not channel.is_private and not channel.is_im],
            "groups": [c for c in shared if channel and channel.is_private],
            "ims": [c for c in shared if channel and channel.is_im],
        }

    def _files_complete_upload(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _invalid("invalid_arguments", ["[ERROR] files must be a non-empty array"])
        uploads = []
        for entry in entries:
            upload = self._uploads.get(str((entry or {}).get("id")))
            if upload is None or upload["content"] is None:
                raise _ApiError("file_not_found")
            uploads.append((upload, str(entry.get("title") or upload["name"])))
        channel_ref = params.get("channel_id") or (str(params.get("channels") or "").split(",")[0] or None)
        # Sharing a file needs membership: chat:write.public does not cover files.
        channel = self._postable(channel_ref, public_scope_applies=False) if channel_ref else None
        thread_ts = params.get("thread_ts") or None
        comment = str(params.get("initial_comment") or "")
        objects = [self._file_object(upload, title, channel) for upload, title in uploads]
        share_ts = None
        if channel is not None:
            share = self._store(
                channel.id,
                text=comment,
                blocks=None,
                thread_ts=thread_ts,
                extra={"files": copy.deepcopy(objects), "upload": True},
            )
            share_ts = share["ts"]
        for (upload, title), obj in zip(uploads, objects, strict=True):
            self._files.append(
                {
                    "id": upload["id"],
                    "name": upload["name"],
                    "title": title,
                    "content": upload["content"],
                    "size": obj["size"],
                    "mimetype": obj["mimetype"],
                    "channel_id": channel.id if channel else None,
                    "thread_ts": thread_ts,
                    "initial_comment": comment or None,
                    "ts": share_ts,
                }
            )
            del self._uploads[upload["id"]]
        return {"files": objects}

    def _reactions_add(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=False)
        if channel.is_archived:
            raise _ApiError("is_archived")
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise _ApiError("invalid_name")
        msg = self._find(channel.id, params.get("timestamp"))
        if msg is None:
            raise _ApiError("message_not_found")
        reactions = msg.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name:
                if self.bot_user_id in reaction["users"]:
                    raise _ApiError("already_reacted")
                reaction["users"].append(self.bot_user_id)
                reaction["count"] += 1
                return {}
        reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        return {}

    def _apps_connections_open(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        ticket = self._hub.new_ticket()
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}

    # -- non-API endpoints -------------------------------------------------------------------------------------

    def _upload(self, file_id: str, headers: dict[str, str], body: bytes) -> _Reply:
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        content, filename = body, None
        if content_type.lower().startswith("multipart/form-data"):
            content, filename = _multipart_file(content_type, body)
        with self._cond:
            failure = self._take_failure("file_upload")
            upload = self._uploads.get(file_id)
            params: dict[str, Any] = {"file_id": file_id, "bytes": len(content), "content": content}
            if failure is not None:
                status, text = failure.status, failure.error
            elif upload is None:
                status, text = 404, "file_not_found"
            else:
                upload["content"] = content
                params["filename"] = filename or upload["name"]
                status, text = 200, f"OK - {len(content)}"
            self._record(
                Call(
                    "file_upload",
                    params,
                    self._clean_headers(headers),
                    None,
                    time.monotonic(),
                    status,
                    {"ok": status == 200, "body": text},
                    f"/upload/{file_id}",
                )
            )
        return _Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _download(self, rest: str) -> _Reply:
        file_id = rest.split("/", 1)[0]
        with self._cond:
            for f in self._files:
                if f["id"] == file_id:
                    return _Reply(200, f["content"], f["mimetype"])
        return _Reply.json(404, {"ok": False, "error": "file_not_found"})

    def _response_url_post(self, name: str, headers: dict[str, str], body: bytes) -> _Reply:
        with self._cond:
            params: dict[str, Any] = {}
            try:
                try:
                    decoded = json.loads(body or b"{}")
                except ValueError as err:
                    raise _ApiError("invalid_payload", status=400) from err
                params = decoded if isinstance(decoded, dict) else {}
                failure = self._take_failure("response_url")
                if failure is not None:
                    raise failure
                self._apply_response(name, params)
                status, response, extra = 200, {"ok": True}, {}
            except _ApiError as err:
                status, response, extra = err.status, {"ok": False, "error": err.error, **err.extra}, err.headers
            self._record(
                Call(
                    "response_url",
                    params,
                    self._clean_headers(headers),
                    None,
                    time.monotonic(),
                    status,
                    response,
                    f"/response_url/{name}",
                )
            )
            return _Reply.json(status, response, extra)

    def _apply_response(self, name: str, params: Mapping[str, Any]) -> None:
        target = self._responses.get(name)
        if target is None:
            raise _ApiError("no_service", status=404)
        blocks = params.get("blocks")
        if blocks is not None:
            problems = block_problems(blocks, _MAX_MESSAGE_BLOCKS)
            if problems:
                raise _ApiError("invalid_blocks", status=400, extra={"response_metadata": {"messages": problems}})
        if _truthy(params.get("delete_original")) or _truthy(params.get("replace_original")):
            source = self._find(target.channel_id, target.message_ts, ephemeral=None)
            if source is None:
                raise _ApiError("message_not_found", status=404)
            if _truthy(params.get("delete_original")):
                self._messages[target.channel_id].remove(source)
                target.message_ts = None
                return
            source["text"] = str(params.get("text") or "")
            source["blocks"] = copy.deepcopy(blocks) if blocks is not None else []
            source["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
            return
        if not params.get("text") and not blocks:
            raise _ApiError("no_text", status=400)
        channel = self._channel(target.channel_id)
        in_channel = params.get("response_type") == "in_channel"
        msg = self._store(
            channel.id,
            text=str(params.get("text") or ""),
            blocks=blocks,
            thread_ts=params.get("thread_ts") or target.thread_ts,
            ephemeral_user=None if in_channel else target.user_id,
        )
        # Later replace_original/delete_original calls on this URL act on the newest message it produced.
        target.message_ts = msg["ts"]
