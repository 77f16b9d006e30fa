"""A local OpenAI-compatible HTTP server for tests and benchmarks.

It speaks the chat completions wire format (`POST /v1/chat/completions`, `GET /v1/models`) and by default
answers with a valid persona draft built from the data block of the request, so anything that needs a working
model can use it. Tests script other behaviours (errors, delays, broken JSON, dropped connections) per call.

In-process:

    with FakeOpenAIServer() as server:
        settings = Settings(OPENAI_API_KEY="test", OPENAI_BASE_URL=server.url + "/v1")

As a separate process (prints `listening on http://127.0.0.1:PORT` once ready):

    python -m tests.support.openai_server --port 8089 --latency 0.2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tests.support.recorded_servers import RecordedServer

ReplyKind = Literal["default", "json", "text", "status", "drop", "reset"]

DATA_BLOCK = re.compile(r"\n<segment_data>\n(.*?)\n</segment_data>", re.DOTALL)
SETTING_LINE = re.compile(r"^(language|needs_estimate|buckets): (.*)$", re.MULTILINE)


@dataclass
class Reply:
    """One scripted answer. Build with the class methods; `delay` (seconds) applies to every kind."""

    kind: ReplyKind = "default"
    content: str = ""
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    usage: dict[str, int] | None = None

    @classmethod
    def default(cls, *, delay: float = 0.0) -> Reply:
        """The built-in behaviour: a valid persona draft for the request."""
        return cls("default", delay=delay)

    @classmethod
    def json(cls, obj: Any, *, delay: float = 0.0, finish_reason: str = "stop") -> Reply:
        return cls("json", content=json.dumps(obj, ensure_ascii=False), delay=delay, finish_reason=finish_reason)

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0, finish_reason: str = "stop") -> Reply:
        """Raw assistant content, e.g. truncated JSON or prose around JSON."""
        return cls("text", content=content, delay=delay, finish_reason=finish_reason)

    @classmethod
    def status_code(
        cls, status: int, body: Any = None, *, headers: dict[str, str] | None = None, delay: float = 0.0
    ) -> Reply:
        """An HTTP error (or any status) with a JSON or text body and extra headers (e.g. Retry-After)."""
        return cls("status", status=status, body=body, headers=dict(headers or {}), delay=delay)

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """An error in OpenAI's body format: {"error": {"message", "type", "param", "code"}}."""
        body = {"error": {"message": message, "type": type, "param": param, "code": None}}
        return cls.status_code(status, body, headers=headers, delay=delay)

    @classmethod
    def drop(cls, *, delay: float = 0.0) -> Reply:
        """Close the connection without answering."""
        return cls("drop", delay=delay)

    @classmethod
    def reset(cls, *, delay: float = 0.0) -> Reply:
        """Start a 200 answer with the default persona, then reset the connection (RST) half-way through the body."""
        return cls("reset", delay=delay)


JSON_SCHEMA_UNSUPPORTED = Reply.error(400, "response_format json_schema not supported", param="response_format")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    # Names lower-cased, as HTTP header names are case-insensitive.
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages") or [])

    @property
    def last_user_message(self) -> str:
        users = [m.get("content") or "" for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""


Handler = Callable[[dict[str, Any]], Reply | None]


# --- the default persona ----------------------------------------------------------------------------------

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "basic_attributes": "An audience shaped by {apps}.",
        "personality": "Practical and curious, judging by their use of {apps}.",
        "psychological_state": "Looking for convenience and good value in {apps}.",
        "interests": "Their interests follow {apps}.",
        "lifestyle": "Their days revolve around {apps}.",
        "sep": ", ",
        "none": "these apps",
    },
    "zh-TW": {
        "basic_attributes": "由{apps}的使用者組成的受眾。",
        "personality": "從{apps}看來，務實而好奇。",
        "psychological_state": "在{apps}中追求便利與划算。",
        "interests": "興趣圍繞{apps}。",
        "lifestyle": "日常生活離不開{apps}。",
        "sep": "、",
        "none": "這些應用程式",
    },
    "zh-CN": {
        "basic_attributes": "由{apps}的用户组成的受众。",
        "personality": "从{apps}看来，务实而好奇。",
        "psychological_state": "在{apps}中追求便利与实惠。",
        "interests": "兴趣围绕{apps}。",
        "lifestyle": "日常生活离不开{apps}。",
        "sep": "、",
        "none": "这些应用",
    },
}
_ZH_TAGS = {"zh-CN": ["#生活方式", "#用户画像"], "traditional": ["#生活方式", "#用戶畫像"]}
_EN_TAGS = ["#Lifestyle", "#AudienceInsights"]


def _even_split(buckets: list[str]) -> dict[str, float]:
    if not buckets:
        return {}
    share = round(100 / len(buckets), 1)
    split = dict.fromkeys(buckets, share)
    split[buckets[0]] = round(100 - share * (len(buckets) - 1), 1)
    return split


def _lang_of(language: str) -> str:
    found = re.search(r"\(([A-Za-z-]+)\)\s*$", language)
    code = found.group(1) if found else "en"
    return code if code in _TEXTS else "en"


def default_persona(request: dict[str, Any]) -> dict[str, Any]:
    """A valid persona draft for a chat request rendered by `bot.prompting` (tolerant of anything else)."""
    messages = request.get("messages") or []
    users = [m.get("content") or "" for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    # The latest message with a data block: after it may come a repair request that carries none.
    with_data = [u for u in users if isinstance(u, str) and DATA_BLOCK.search(u)]
    message = with_data[-1] if with_data else (users[-1] if users else "")
    if not isinstance(message, str):
        message = ""
    settings = dict(SETTING_LINE.findall(message))
    apps: list[str] = []
    block = DATA_BLOCK.search(message)
    if block:
        try:
            apps = [app["name"] for app in json.loads(block.group(1)).get("apps", []) if app.get("name")]
        except (ValueError, AttributeError, TypeError):
            apps = []
    lang = _lang_of(settings.get("language", ""))
    texts = _TEXTS[lang]
    named = texts["sep"].join(apps[:3]) or texts["none"]
    profile = {key: texts[key].format(apps=named) for key in texts if key not in ("sep", "none")}
    cited = apps[:3]
    estimate = None
    if settings.get("needs_estimate", "false").strip() == "true":
        try:
            buckets = json.loads(settings.get("buckets", "{}"))
        except ValueError:
            buckets = {}
        estimate = {
            "age": _even_split(list(buckets.get("age", []))),
            "gender": _even_split(list(buckets.get("gender", []))),
        }
    return {
        "profile": profile,
        "hashtags": {"zh": _ZH_TAGS["zh-CN" if lang == "zh-CN" else "traditional"], "en": _EN_TAGS},
        "citations": dict.fromkeys(profile, cited),
        "demographics_estimate": estimate,
    }


STREAM_PIECE = 12
PERSONA_DATA = re.compile(r"<persona_data>\n(.*?)\n</persona_data>", re.DOTALL)


def _segment_apps(message: str) -> list[str]:
    """The app names of the `<segment_data>` block that lists the audience's apps (a follow-up prompt has several)."""
    for block in DATA_BLOCK.findall(message):
        try:
            apps = json.loads(block).get("apps")
        except (ValueError, AttributeError):
            continue
        if isinstance(apps, list):
            return [str(app.get("name")) for app in apps if isinstance(app, dict) and app.get("name")]
    return []


def default_followup(message: str) -> str:
    """The built-in streamed follow-up: the layout the text prompt asks for, naming the audience's first two apps."""
    first, second = ([*_segment_apps(message), "their favourite apps", "the apps they open most"])[:2]
    return (f"Meet this audience inside {first} and {second}, where it already spends its time.\n"
            f"- {first}: a co-branded offer placed where they already spend their time\n"
            f"- {second}: a sponsored challenge that fits what they open it for\n"
            f"→ Contact the {first} partnerships team this week\n"
            f"→ Draft a one-page brief for {second}")


def default_answer(request: dict[str, Any]) -> str:
    """The built-in streamed answer: a grounded line naming the persona's first two apps, or a plain sentence;
    for a follow-up (its data in `<segment_data>`), a report in the streamed layout."""
    message = str((request.get("messages") or [{}])[-1].get("content") or "")
    if DATA_BLOCK.search(message):
        return default_followup(message)
    found = PERSONA_DATA.search(message)
    names = [app["name"] for app in json.loads(found.group(1)).get("apps", [])[:2]] if found else []
    if not names:
        return "This audience is best reached where it already spends its time."
    return f"Reach them inside {' and '.join(names)}, the apps they open most; lead with what those apps are for."


def _count_tokens(text: str) -> int:
    # Roughly four characters per token: enough for usage accounting in tests.
    return max(1, len(text) // 4)


class _Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 resets or delays (SYN retried after 1 s) bursts of concurrent completions.
    request_queue_size = 512
    daemon_threads = True


# --- the server -------------------------------------------------------------------------------------------


class FakeOpenAIServer:
    """Runs on 127.0.0.1 (port 0 picks a free one) in a background thread; use as a context manager."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        models: Iterable[str] = ("gpt-4.1-mini",),
        reject_json_schema: bool = False,
        handler: Handler | None = None,
        recorded: RecordedServer | None = None,
    ):
        self.host, self.port = host, port
        # Added to every chat completion, on top of a reply's own delay.
        self.latency = latency
        self.models = list(models)
        # Behave like servers without structured outputs: every json_schema request gets a 400.
        self.reject_json_schema = reject_json_schema
        # Consulted when the queue is empty; returning None means the default persona.
        self.handler = handler
        # Replays a real server's recorded answers: its /v1/models, its refusals, its completion fields.
        self.recorded = recorded
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._calls = 0
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # scripting -------------------------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        """Replies for the next chat completion calls, in order."""
        with self._lock:
            self._queue.extend(replies)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.reject_json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
            return JSON_SCHEMA_UNSUPPORTED
        if self.handler is not None:
            reply = self.handler(body)
            if reply is not None:
                return reply
        if self.recorded is not None:
            reply = self.recorded.refusal(body)
            if reply is not None:
                return reply
        return Reply.default()

    # observation -----------------------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """Chat completion requests received (including ones answered with errors)."""
        with self._lock:
            return self._calls

    @property
    def requests(self) -> list[RecordedRequest]:
        """Chat completion requests received, oldest first."""
        with self._lock:
            return [r for r in self._requests if r.path.endswith("/chat/completions")]

    @property
    def all_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._calls = 0

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            if request.path.endswith("/chat/completions"):
                self._calls += 1

    # lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL without the `/v1` suffix."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeOpenAIServer:
        self._stopping.clear()
        self._httpd = _Server((self.host, self.port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        # Wakes handlers sleeping on a scripted delay so they finish promptly.
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def join(self) -> None:
        """Blocks until the server is stopped (from a signal handler or another thread)."""
        thread = self._thread
        while thread is not None and thread.is_alive():
            thread.join(timeout=0.5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # answering -------------------------------------------------------------------------------------------

    def completion(self, body: dict[str, Any], content: str, reply: Reply) -> dict[str, Any]:
        with self._lock:
            number = self._calls
        prompt = "".join(str(m.get("content") or "") for m in body.get("messages") or [] if isinstance(m, dict))
        usage = reply.usage or {
            "prompt_tokens": _count_tokens(prompt),
            "completion_tokens": _count_tokens(content),
        }
        usage = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
        if self.recorded is not None:
            return self.recorded.completion(body, content, reply.finish_reason, usage, number)
        return {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or (self.models[0] if self.models else "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": usage,
            "system_fingerprint": "fake-openai",
        }


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        # Keep-alive, as the SDK's connection pool expects.
        protocol_version = "HTTP/1.1"
        server_version = "FakeOpenAI/1"

        def log_message(self, format: str, *args: Any) -> None:
            # Quiet: tests read the recorded requests instead of the access log.
            return

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            if isinstance(payload, bytes | str):
                data = payload.encode() if isinstance(payload, str) else payload
                content_type = "text/plain; charset=utf-8"
            else:
                data = json.dumps(payload, ensure_ascii=False).encode()
                content_type = "application/json"
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (e.g. its timeout fired during a scripted delay).
                self.close_connection = True

        def _reset_mid_body(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN: a reset, not a clean end.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

        def _read_body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            try:
                return json.loads(raw)
            except ValueError:
                return raw.decode(errors="replace")

        def _record(self, body: Any) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            server._record(RecordedRequest(self.command, self.path, headers, body))

        def do_GET(self) -> None:
            self._record(None)
            if self.path.rstrip("/").endswith("/models"):
                if server.recorded is not None:
                    if server.recorded.models is None:  # behind a proxy that hides the model list
                        self._send(404, {"detail": "Not Found"})
                    else:
                        self._send(200, server.recorded.models)
                    return
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in server.models]
                self._send(200, {"object": "list", "data": data})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            body = self._read_body()
            self._record(body)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                self._send(400, {"error": {"message": "messages is required", "type": "invalid_request_error"}})
                return
            reply = server._next_reply(body)
            delay = server.latency + reply.delay
            if delay > 0:
                server.wait(delay)
            if reply.kind == "drop":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if reply.kind == "status":
                self._send(reply.status, reply.body, reply.headers)
                return
            if reply.kind == "reset":
                self._reset_mid_body(server.completion(body, json.dumps(default_persona(body)), reply))
                return
            if body.get("stream"):
                self._stream(body, default_answer(body) if reply.kind == "default" else reply.content, reply)
                return
            if reply.kind == "default":
                content = json.dumps(default_persona(body), ensure_ascii=False)
            else:
                content = reply.content
            self._send(200, server.completion(body, content, reply), reply.headers)

        def _stream(self, body: dict[str, Any], content: str, reply: Reply) -> None:
            """`stream: true`: server-sent events of `chat.completion.chunk`s, a few characters each, then [DONE]."""
            model = body.get("model") or "fake"
            pieces = [content[i : i + STREAM_PIECE] for i in range(0, len(content), STREAM_PIECE)]

            def event(delta: dict[str, Any], finish: str | None) -> bytes:
                chunk = {"id": "chatcmpl-fake-stream", "object": "chat.completion.chunk", "created": int(time.time()),
                         "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

            self.close_connection = True
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(event({"role": "assistant", "content": ""}, None))
                for piece in pieces:
                    self.wfile.write(event({"content": piece}, None))
                    self.wfile.flush()
                self.wfile.write(event({}, reply.finish_reason))
                self.wfile.write(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                return

    return _Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local OpenAI-compatible server answering with persona drafts.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every completion")
    parser.add_argument("--reject-json-schema", action="store_true", help="answer json_schema requests with 400")
    args = parser.parse_args(argv)

    server = FakeOpenAIServer(
        host=args.host, port=args.port, latency=args.latency, reject_json_schema=args.reject_json_schema
    )
    return serve_until_signalled(server)


def serve_until_signalled(server: FakeOpenAIServer) -> int:
    """Start `server`, say where it listens, and serve until SIGTERM or SIGINT: the body of a server process."""
    server.start()

    def _stop(signum: int, frame: object) -> None:
        # shutdown() blocks until serve_forever returns, so it cannot run on the serving thread itself.
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"listening on {server.url}", flush=True)
    server.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
