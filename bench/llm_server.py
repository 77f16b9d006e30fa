"""The bench's OpenAI-compatible server: the test server, with usage counted by the real o200k_base tokenizer.

It runs in its own process so its request threads do not compete with the load generator for a GIL. Besides the
chat completions API it answers `GET /_bench/stats` (calls and tokens so far) and `POST /_bench/reset`, which the
bench reads between phases. Without the bench extra (tiktoken, bpe-openai) usage falls back to the test server's
four-characters-per-token estimate, and the stats say which counter was used.

    python -m bench.llm_server --port 0 --latency 1.0
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
import urllib.request
from http.server import ThreadingHTTPServer
from typing import Any

from bench.tokens import TokenCounter, load_counter
from tests.support.openai_server import FakeOpenAIServer, Reply, _make_handler, serve_until_signalled

ESTIMATE = "estimate: 4 characters per token (tests.support.openai_server)"


class _Server(ThreadingHTTPServer):
    # The socketserver default backlog of 5 would reset or delay (SYN retried after 1 s) a burst of completions,
    # a latency of this server rather than of the bot.
    request_queue_size = 512
    daemon_threads = True


class CountingLLMServer(FakeOpenAIServer):
    def __init__(self, *, counter: TokenCounter | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.counter = counter
        self._stats_lock = threading.Lock()
        self._completions: list[dict[str, int]] = []

    def completion(self, body: dict[str, Any], content: str, reply: Reply) -> dict[str, Any]:
        schema_tokens = 0
        if self.counter is not None and reply.usage is None:
            messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
            usage = {"prompt_tokens": self.counter.chat(messages), "completion_tokens": self.counter.text(content)}
            reply = dataclasses.replace(reply, usage=usage)
            schema_tokens = self.counter.schema(body.get("response_format"))
        answer = super().completion(body, content, reply)
        with self._stats_lock:
            self._completions.append({**answer["usage"], "schema_tokens": schema_tokens})
        return answer

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            completions = list(self._completions)
        return {
            "calls": self.calls,
            "completions": completions,
            "tokenizer": self.counter.name if self.counter is not None else ESTIMATE,
        }

    def reset(self) -> None:
        super().reset()
        with self._stats_lock:
            self._completions.clear()

    def start(self) -> CountingLLMServer:
        self._stopping.clear()
        self._httpd = _Server((self.host, self.port), _bench_handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="bench-llm", daemon=True)
        self._thread.start()
        return self


def _bench_handler(server: CountingLLMServer) -> type:
    base: Any = _make_handler(server)

    class _Handler(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:
            if self.path == "/_bench/stats":
                self._send(200, server.stats())
            else:
                super().do_GET()

        def do_POST(self) -> None:
            if self.path == "/_bench/reset":
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.reset()
                self._send(200, {"ok": True})
            else:
                super().do_POST()

    return _Handler


# --- the bench's side ----------------------------------------------------------------------------------------


def fetch_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_bench/stats", timeout=10) as resp:
        result: dict[str, Any] = json.loads(resp.read())
        return result


def reset_stats(url: str) -> None:
    request = urllib.request.Request(f"{url}/_bench/reset", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OpenAI-compatible server for the bench, with o200k_base usage.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds added to every completion")
    parser.add_argument("--model", default="gpt-4.1-mini")
    args = parser.parse_args(argv)

    server = CountingLLMServer(
        counter=load_counter(), host=args.host, port=args.port, latency=args.latency, models=[args.model]
    )
    return serve_until_signalled(server)


if __name__ == "__main__":
    sys.exit(main())
