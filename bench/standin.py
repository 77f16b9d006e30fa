"""The Slack stand-in with an index of when each response_url received the data part and the card.

The stand-in records every call with `time.monotonic()` (one clock for every process on the machine). The bench
gives each request its own response_url name, so arrivals are looked up by name instead of scanning every call.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from bot.devtools import Call, SlackStandIn

# Slack accepts any number of connections at once. The stand-in's HTTP server keeps the socketserver default
# backlog of 5, so a burst of the bot's posts overflows it: connections are reset or their SYN is dropped and
# retried a second later, delays that are the stand-in's and not the bot's.
LISTEN_BACKLOG = 512

Kind = Literal["working", "progress", "card", "error"]
FINAL: frozenset[str] = frozenset({"card", "error"})


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [b for b in blocks if isinstance(b, dict)]


def kind_of(params: dict[str, Any]) -> Kind:
    """Which step of a persona answer a message is; anything unexpected counts as an error."""
    ids = {b.get("block_id") for b in blocks_of(params)}
    if "persona_actions" in ids:
        return "card"
    if "persona_progress" in ids:
        return "progress"
    if "persona_working" in ids:
        return "working"
    return "error"


@dataclass(frozen=True)
class Arrival:
    kind: Kind
    time: float


class BenchStandIn(SlackStandIn):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._arrivals: dict[str, list[Arrival]] = defaultdict(list)
        self._arrived = threading.Condition()

    def start(self) -> BenchStandIn:
        super().start()
        server = self._server
        if server is not None:
            server.socket.listen(LISTEN_BACKLOG)
        return self

    def _record(self, call: Call) -> None:
        super()._record(call)
        if call.method != "response_url" or call.status != 200:
            return
        name = unquote(call.path.rsplit("/", 1)[-1])
        with self._arrived:
            self._arrivals[name].append(Arrival(kind_of(call.params), call.time))
            self._arrived.notify_all()

    def arrivals(self, name: str) -> list[Arrival]:
        with self._arrived:
            return list(self._arrivals.get(name, ()))

    def wait_final(self, name: str, timeout: float) -> list[Arrival]:
        """Every arrival at `name` once a card or an error arrived there, or what arrived within `timeout`."""

        def done() -> bool:
            return any(a.kind in FINAL for a in self._arrivals.get(name, ()))

        with self._arrived:
            self._arrived.wait_for(done, timeout)
            return list(self._arrivals.get(name, ()))

    def forget(self) -> None:
        """Drops recorded calls between phases, so long runs stay small (the conversation model stays)."""
        self.reset()
        with self._arrived:
            self._arrivals.clear()
