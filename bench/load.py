"""The load generator: users sending `/persona` as signed HTTP requests and waiting for their card.

Each request gets its own channel and response_url, so its acknowledgement, data part and card are told apart from
everyone else's. A user sends, waits for the card (or error), then sends the next request: N users means at most N
personas in flight, as when N salespeople use the bot at once.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.stack import BotProcess
from bench.standin import BenchStandIn, blocks_of, kind_of

TextFor = Callable[[int, int], str]  # (user index, round) -> the text after /persona


@dataclass(frozen=True)
class Sample:
    sent: float
    acked: float
    status: int
    progress: float | None
    card: float | None
    outcome: str  # "card", "error", "timeout" or "http-<status>"

    @property
    def ack_ms(self) -> float:
        return (self.acked - self.sent) * 1000

    @property
    def progress_ms(self) -> float | None:
        return None if self.progress is None else (self.progress - self.sent) * 1000

    @property
    def card_ms(self) -> float | None:
        return None if self.card is None else (self.card - self.sent) * 1000


class Users:
    """Sends requests to one bot. With `card_in_ack` the card is expected in the HTTP response itself."""

    _ids = itertools.count(1)

    def __init__(self, bot: BotProcess, standin: BenchStandIn, *, card_timeout: float = 60.0):
        self.bot = bot
        self.standin = standin
        self.card_in_ack = bot.design == "ack-after-generate"
        self.card_timeout = card_timeout

    @classmethod
    def new_id(cls, prefix: str) -> str:
        # Slack ids are upper-case letters and digits.
        return f"{prefix}{next(cls._ids):06d}"

    def persona(self, text: str, user: str) -> Sample:
        name, channel = self.new_id("R"), self.new_id("CB")
        url = self.standin.response_url(name, channel_id=channel, user_id=user)
        body, content_type = self.bot.sender.build_slash_command(text, user_id=user, channel_id=channel,
                                                                 response_url=url)
        sent = time.monotonic()
        try:
            resp = self.bot.sender.post(body, content_type)
            status, reply = resp.status, resp.body
        except OSError:
            status, reply = 0, ""
        acked = time.monotonic()
        if status != 200:
            return Sample(sent, acked, status, None, None, f"http-{status}")
        if self.card_in_ack:
            kind = _ack_kind(reply)
            return Sample(sent, acked, status, None, acked if kind == "card" else None, kind)
        arrivals = self.standin.wait_final(name, self.card_timeout)
        progress = next((a.time for a in arrivals if a.kind == "progress"), None)
        final = next((a for a in arrivals if a.kind in ("card", "error")), None)
        if final is None:
            return Sample(sent, acked, status, progress, None, "timeout")
        return Sample(sent, acked, status, progress, final.time if final.kind == "card" else None, final.kind)

    def run(self, users: int, rounds: int, text_for: TextFor, prefix: str, *, think: float = 0.0) -> list[Sample]:
        """`users` concurrent users, each sending `rounds` requests one after the other.

        With `think` > 0 each user starts after a random pause of up to `think` seconds and pauses as long again
        between a card and the next request, so users arrive independently; with 0 they all send at once.
        """
        return self._run(users, text_for, prefix, lambda i, r: r < rounds, think)

    def run_for(self, users: int, seconds: float, text_for: TextFor, prefix: str) -> tuple[list[Sample], float]:
        """`users` concurrent users sending requests until `seconds` have passed; also returns the elapsed time."""
        started = time.monotonic()
        deadline = started + seconds
        samples = self._run(users, text_for, prefix, lambda i, r: time.monotonic() < deadline, 0.0)
        return samples, time.monotonic() - started

    def _run(self, users: int, text_for: TextFor, prefix: str, more: Callable[[int, int], bool],
             think: float) -> list[Sample]:
        samples: list[Sample] = []
        lock = threading.Lock()
        gate = threading.Barrier(users)
        ids = [self.new_id(prefix) for _ in range(users)]

        def user(index: int) -> None:
            pauses = random.Random(index)
            gate.wait()
            round_ = 0
            while more(index, round_):
                if think > 0:
                    time.sleep(pauses.uniform(0, think))
                sample = self.persona(text_for(index, round_), ids[index])
                with lock:
                    samples.append(sample)
                round_ += 1

        threads = [threading.Thread(target=user, args=(i,), name=f"user-{i}", daemon=True) for i in range(users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(samples, key=lambda s: s.sent)


def _ack_kind(reply: str) -> str:
    try:
        payload: Any = json.loads(reply or "{}")
    except ValueError:
        return "error"
    if not isinstance(payload, dict) or not blocks_of(payload):
        return "error"
    kind = kind_of(payload)
    return "card" if kind == "card" else "error"
