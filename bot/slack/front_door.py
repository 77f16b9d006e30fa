"""The ASGI front of HTTP mode: cheap refusals on the event loop, Bolt on a bounded thread pool.

Everything an unauthenticated client controls is judged here before Bolt sees it, in this order, each step
cheaper than the next:

1. `/healthz` answers on the event loop, so it answers while every request thread is busy.
2. Headers: a `Content-Length` (Slack always sends one) no larger than the limit, a numeric timestamp within
   Slack's 5 minutes and a signature of the right shape. Anything else is refused without reading the body.
3. The body, read with a deadline, then its signature. Only a signed body is parsed; a signed body that is
   not UTF-8 or does not parse is a 400.
4. Bolt (`App.dispatch`) on the request pool, which verifies the signature again (cheap, and it keeps Bolt's
   own guarantees) and runs the guard middleware and the acks.

What a refused request leaves in the log is one `http_request` line: path, status, reason, the body's length
and, when it was read, its SHA-256. Never its text or headers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse

from bot import metrics
from bot.request_context import begin, new_request_id, run_isolated

log = logging.getLogger("bot.http")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

SLACK_PATH = "/slack/events"
# Bolt's own window; checking it before the body is read makes a stale capture cost nothing.
TIMESTAMP_WINDOW = 5 * 60
# A client that has sent its headers gets this long to send the whole body; Slack sends a few KB at once.
BODY_TIMEOUT = 10.0
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_JSON = {"content-type": "application/json"}


class Refusal(Exception):
    def __init__(self, status: int, reason: str, body: bytes = b""):
        super().__init__(reason)
        self.status, self.reason, self.body = status, reason, body


def _headers(scope: Scope) -> dict[str, str]:
    # Latin-1 never fails on raw header bytes; a repeated header keeps its first value, as Bolt reads it.
    out: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        out.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return out


def check_headers(headers: dict[str, str], max_body: int, now: float) -> int:
    """The declared body length, or a Refusal: nothing here reads the body."""
    declared = headers.get("content-length")
    if declared is None:
        raise Refusal(400, "missing_content_length")
    if not declared.isdigit() or len(declared) > 12:
        raise Refusal(400, "malformed_content_length")
    length = int(declared)
    if length > max_body:
        raise Refusal(413, "body_too_large")
    timestamp = headers.get("x-slack-request-timestamp")
    if timestamp is None:
        raise Refusal(401, "missing_timestamp")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Refusal(401, "malformed_timestamp")
    if abs(now - int(timestamp)) > TIMESTAMP_WINDOW:
        raise Refusal(401, "stale_timestamp")
    signature = headers.get("x-slack-signature")
    if signature is None:
        raise Refusal(401, "missing_signature")
    if not _SIGNATURE.fullmatch(signature):
        raise Refusal(401, "malformed_signature")
    return length


def signature_ok(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's v0 scheme over the raw bytes, so a body that is not even UTF-8 is judged like any other."""
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def parse_signed(body: bytes, content_type: str) -> str:
    """The body as text once it parses the way Bolt will parse it; a Refusal(400) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "body_not_utf8", body) from None
    try:
        # The same rule as Bolt's parse_body: JSON by content type or leading brace, else a form whose
        # `payload` field (interactivity) is JSON. RecursionError is what deep nesting raises.
        if content_type.startswith("application/json") or text.startswith("{"):
            parsed: Any = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):
        raise Refusal(400, "body_malformed", body) from None
    if not isinstance(parsed, dict):
        raise Refusal(400, "body_malformed", body)
    return text


async def _read_body(receive: Receive, length: int) -> bytes:
    chunks: list[bytes] = []
    received = 0
    deadline = time.monotonic() + BODY_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Refusal(408, "body_timeout")
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise Refusal(408, "body_timeout") from None
        if message["type"] == "http.disconnect":
            raise Refusal(400, "client_disconnected")
        chunk = message.get("body", b"")
        received += len(chunk)
        # The server frames the body by Content-Length already; this only guards a server that would not.
        if received > length:
            raise Refusal(413, "body_too_large")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, headers: dict[str, str], *, close: bool = False) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    if close:
        # A refused body may still be on its way; closing stops reading it rather than draining it.
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class SlackFront:
    """The ASGI application `serve` runs: /healthz, /metrics (unless bound elsewhere) and Slack's path."""

    def __init__(self, app: App, signing_secret: str, *, threads: int, max_body: int, serve_metrics: bool):
        self.app = app
        self.secret = signing_secret.encode()
        self.max_body = max_body
        self.serve_metrics = serve_metrics
        # The request pool: acks run here (Bolt's process_before_response), one thread per request in flight.
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope.get("path") or "/"
        if path == "/healthz":
            await _send(send, 200, b'{"ok": true}', _JSON)
            return
        if path == "/metrics" and self.serve_metrics:
            # Off the loop: in multi-process mode it reads every worker's files.
            body, content_type = await asyncio.get_running_loop().run_in_executor(None, metrics.render)
            await _send(send, 200, body, {"content-type": content_type})
            return
        await self._slack(scope, receive, send, path)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _slack(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        started = time.perf_counter()
        label = path if path == SLACK_PATH else "other"
        headers = _headers(scope)
        declared = headers.get("content-length", "")
        try:
            if path != SLACK_PATH:
                raise Refusal(404, "not_found")
            if scope.get("method") != "POST":
                raise Refusal(405, "method_not_allowed")
            length = check_headers(headers, self.max_body, time.time())
            body = await _read_body(receive, length)
            timestamp, signature = headers["x-slack-request-timestamp"], headers["x-slack-signature"]
            if not signature_ok(self.secret, timestamp, body, signature):
                raise Refusal(401, "bad_signature", body)
            text = parse_signed(body, headers.get("content-type", ""))
        except Refusal as refusal:
            # Logged before the answer leaves, so whoever got the answer can already find the line.
            self._record(label, refusal.status, started, reason=refusal.reason, declared=declared, body=refusal.body)
            await _send(send, refusal.status, json.dumps({"error": refusal.reason}).encode(), _JSON, close=True)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        response = await asyncio.get_running_loop().run_in_executor(
            self.pool, run_isolated, self._dispatch, text, query, headers, label, started
        )
        out = {k: v[0] for k, v in response.headers.items() if v}
        await _send(send, response.status, (response.body or "").encode("utf-8"), out)

    def _dispatch(self, text: str, query: str, headers: dict[str, str], label: str, started: float) -> BoltResponse:
        # A fresh context (run_isolated) and our own id, never one a client sent: the guard logs under it.
        from bot.slack.guard import REQUEST_ID_HEADER

        headers = {**headers, REQUEST_ID_HEADER: begin(new_request_id()).request_id}
        try:
            response = self.app.dispatch(BoltRequest(body=text, query=query, headers=headers))
        except Exception:
            log.exception("request_failed")
            response = BoltResponse(status=500, body='{"error": "internal"}', headers=_JSON)
        self._record(label, response.status, started)
        return response

    @staticmethod
    def _record(label: str, status: int, started: float, *, reason: str | None = None, declared: str = "",
                body: bytes = b"") -> None:
        elapsed = time.perf_counter() - started
        metrics.HTTP_REQUESTS.labels(label, str(status)).inc()
        metrics.HTTP_SECONDS.labels(label).observe(elapsed)
        fields: dict[str, Any] = {"path": label, "status": status, "latency_ms": round(elapsed * 1000, 1)}
        if reason is not None:
            # An unauthenticated client's request leaves only its size, a digest to correlate and why it was refused.
            fields["reason"] = reason
            known = declared.isdigit() and len(declared) <= 12
            fields["body_bytes"] = len(body) if body else (int(declared) if known else None)
            if body:
                fields["body_sha256"] = hashlib.sha256(body).hexdigest()
        log.info("http_request", extra=fields)
