"""The sandbox page and its small JSON API, on one loopback origin.

GET `/` is the page, `/static/…` its scripts and styles (package data), `/api/state?after=N` a long-poll of
what the person sees. POST `/api/<action>` with a JSON body is something the person did; `UserActions` turns
it into Slack's request to the app. The page never talks to the app or the stand-in itself.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.devtools.sandbox.user_actions import Outcome, SandboxInputError, UserActions

# A long-poll answers at the latest after this long, so proxies and browsers never give up on it first.
LONG_POLL_SECONDS = 20.0
_MAX_BODY = 1_000_000
_STATIC_NAME = re.compile(r"[a-z0-9_-]+\.(html|js|css|svg)")
_CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
# Scripts and styles only from this origin: nothing a message contains can run or load code in the page.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _static(name: str) -> bytes | None:
    if not _STATIC_NAME.fullmatch(name):
        return None
    resource = resources.files("bot.devtools.sandbox").joinpath("static", name)
    return resource.read_bytes() if resource.is_file() else None


def _text(body: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise SandboxInputError(f"'{key}' must be a non-empty string.")
    return value


def _routes(actions: UserActions) -> dict[str, Callable[[Mapping[str, Any]], Outcome]]:
    return {
        "type": lambda b: actions.type_text(_text(b, "channel") or "", _text(b, "text") or "",
                                            _text(b, "thread_ts", required=False)),
        "click": lambda b: actions.click(_text(b, "channel") or "", _text(b, "ts") or "",
                                         _text(b, "action_id") or "", b.get("value"), b.get("state")),
        "view_click": lambda b: actions.view_click(_text(b, "view_id") or "", _text(b, "action_id") or "",
                                                   b.get("value"), b.get("state")),
        "shortcut": lambda b: actions.shortcut(_text(b, "channel") or "", _text(b, "ts") or "",
                                               _text(b, "callback_id") or ""),
        "suggest": lambda b: actions.suggest(_text(b, "view_id") or "", _text(b, "action_id") or "",
                                             str(b.get("value") or "")),
        "submit": lambda b: actions.submit(_text(b, "view_id") or "", b.get("values")),
        "close": lambda b: actions.close(_text(b, "view_id") or ""),
        "home": lambda b: actions.open_home(),
        "messages_tab": lambda b: actions.open_home("messages"),
    }


class PageServer(ThreadingHTTPServer):
    daemon_threads = True
    # A port still held by a running sandbox must fail loudly, not be shared.
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.actions: UserActions | None = None
        self.routes: dict[str, Callable[[Mapping[str, Any]], Outcome]] = {}
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, actions: UserActions) -> None:
        self.actions = actions
        self.routes = _routes(actions)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="sandbox-page", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: PageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # The page polls constantly; access lines would drown the bot's own log in the same terminal.
        return

    def _send(self, status: int, body: bytes, content_type: str, *, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"ok": False, "error": message})

    def _trusted_host(self) -> bool:
        # Only this machine's own names: another site resolved to 127.0.0.1 must not drive the sandbox.
        host = (self.headers.get("Host") or "").strip().lower()
        return host in (f"127.0.0.1:{self.server.port}", f"localhost:{self.server.port}")

    def do_GET(self) -> None:
        if not self._trusted_host():
            self._error(403, f"Open the sandbox at http://127.0.0.1:{self.server.port}/")
            return
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            page = _static("index.html") or b""
            self._send(200, page, _CONTENT_TYPES["html"], cache="no-cache")
        elif url.path.startswith("/static/"):
            name = url.path[len("/static/") :]
            content = _static(name)
            if content is None:
                self._error(404, "No such file.")
                return
            self._send(200, content, _CONTENT_TYPES[name.rsplit(".", 1)[1]], cache="no-cache")
        elif url.path == "/api/state":
            self._state(parse_qs(url.query).get("after", [""])[0])
        elif url.path == "/healthz":
            self._json(200, {"ok": True})
        else:
            self._error(404, "Not found.")

    def _state(self, after: str) -> None:
        actions = self.server.actions
        if actions is None:
            self._error(503, "The sandbox is starting.")
            return
        try:
            seen = int(after) if after else -1
        except ValueError:
            self._error(400, "'after' must be a number.")
            return
        actions.standin.wait_for_revision(seen, LONG_POLL_SECONDS)
        self._json(200, actions.page_state())

    def do_POST(self) -> None:
        if not self._trusted_host():
            self._error(403, f"Open the sandbox at http://127.0.0.1:{self.server.port}/")
            return
        path = urlsplit(self.path).path
        route = self.server.routes.get(path.removeprefix("/api/")) if path.startswith("/api/") else None
        if route is None:
            self._error(404, "Not found.")
            return
        # JSON only: a form posted by another page cannot carry this content type without the browser asking.
        if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            self._error(415, "Send JSON (Content-Type: application/json).")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._error(413, "That is too much input for the sandbox.")
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._error(400, "The request body is not valid JSON.")
            return
        if not isinstance(body, dict):
            self._error(400, "The request body must be a JSON object.")
            return
        try:
            outcome = route(body)
        except SandboxInputError as err:
            self._error(err.status, str(err))
            return
        except OSError as err:
            self._error(502, f"The bot could not be reached ({type(err).__name__}). Is it still running?")
            return
        self._json(200, outcome.to_json())
