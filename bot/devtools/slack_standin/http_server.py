"""The stand-in's HTTP side: one loopback server for the Web API, response_urls, file uploads and downloads, the
sandbox's state and the Socket Mode WebSocket, and the routing of each request to the conversation model.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from bot.devtools.slack_standin.protocol import (
    REQUIRED_SCOPE,
    ApiError,
    Call,
    Reply,
    merge_params,
    multipart_file,
    token_type,
)
from bot.devtools.slack_standin.web_api import WebApiMethod, WebApiMethods

if TYPE_CHECKING:
    from bot.devtools.slack_standin.standin import SlackStandIn


class StandInHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Slack takes bursts; socketserver's backlog of 5 would reset or delay (SYN retried after 1 s) the bot's calls
    # under load, a latency of this stand-in rather than of the bot.
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], standin: SlackStandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: StandInHTTPServer

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


class HttpEndpoints(WebApiMethods):
    _methods: dict[str, WebApiMethod]

    def _dispatch(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
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
                return Reply.json(200, self.snapshot())
            return Reply.json(404, {"ok": False, "error": "not_found"})
        except Exception:
            # A stand-in bug must surface in the test, not masquerade as a Slack error the app then handles.
            with self._cond:
                self.internal_errors.append(traceback.format_exc())
            return Reply.json(500, {"ok": False, "error": "fatal_error"})

    @staticmethod
    def _clean_headers(headers: Mapping[str, str]) -> dict[str, str]:
        return {k.lower(): v for k, v in headers.items() if k.lower() != "authorization"}

    def _web_api(self, method: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        auth = lowered.get("authorization", "")
        token: str | None = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
        params: dict[str, Any] = {}
        with self._cond:
            try:
                params = merge_params(query, lowered.get("content-type", ""), body)
                form_token = params.pop("token", None)
                token = token or (str(form_token) if form_token else None)
                failure = self._take_failure(method)
                if failure is not None:
                    raise failure
                kind = self._check_token(method, token)
                self._check_scope(method)
                handler = self._methods.get(method)
                if handler is None:
                    raise ApiError("unknown_method", extra={"req_method": method})
                status, response, extra_headers = 200, {"ok": True, **handler(params, kind)}, {}
            except ApiError as err:
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
            return Reply.json(status, response, extra_headers)

    def _check_token(self, method: str, token: str | None) -> str:
        if not token:
            raise ApiError("not_authed")
        kind = token_type(token)
        if kind is None:
            raise ApiError("invalid_auth")
        if (method == "apps.connections.open") != (kind == "app"):
            raise ApiError("not_allowed_token_type")
        return kind

    def _check_scope(self, method: str) -> None:
        needed = REQUIRED_SCOPE.get(method)
        if needed is not None and needed not in self.scopes:
            raise ApiError("missing_scope", extra={"needed": needed, "provided": ",".join(sorted(self.scopes))})

    # -- non-API endpoints --------------------------------------------------------------------------------------

    def _upload(self, file_id: str, headers: dict[str, str], body: bytes) -> Reply:
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        content, filename = body, None
        if content_type.lower().startswith("multipart/form-data"):
            content, filename = multipart_file(content_type, body)
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
        return Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _download(self, rest: str) -> Reply:
        file_id = rest.split("/", 1)[0]
        with self._cond:
            for f in self._files:
                if f["id"] == file_id:
                    return Reply(200, f["content"], f["mimetype"])
        return Reply.json(404, {"ok": False, "error": "file_not_found"})

    def _response_url_post(self, name: str, headers: dict[str, str], body: bytes) -> Reply:
        with self._cond:
            params: dict[str, Any] = {}
            try:
                try:
                    decoded = json.loads(body or b"{}")
                except ValueError as err:
                    raise ApiError("invalid_payload", status=400) from err
                params = decoded if isinstance(decoded, dict) else {}
                failure = self._take_failure("response_url")
                if failure is not None:
                    raise failure
                self._apply_response(name, params)
                status, response, extra = 200, {"ok": True}, {}
            except ApiError as err:
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
            return Reply.json(status, response, extra)
