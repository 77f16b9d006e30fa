"""The real Slack app in HTTP mode (`persona-bot serve` as a subprocess) wired to the local Slack stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.devtools import Call, SlackRequestSender, SlackStandIn
from bot.devtools.worker_process import WorkerProcess, queues_work
from tests.support.block_limits import violations
from tests.support.processes import OWN_GROUP, free_port, stop_process, wait_healthy

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Harness:
    standin: SlackStandIn
    sender: SlackRequestSender
    url: str
    log: Path
    # The environment the bot runs with, so a test can start more workers like the ones it has.
    env: dict[str, str] = field(default_factory=dict)
    # `persona-bot worker` processes (with REDIS_URL the web process only acks and queues the work).
    workers: list[WorkerProcess] = field(default_factory=list)

    def start_worker(self, concurrency: int = 8) -> WorkerProcess:
        """One more worker, logging into the bot's log."""
        out = self.log.open("ab")
        try:
            worker = WorkerProcess(self.env, concurrency=concurrency, output=out).start()
        finally:
            out.close()  # the child has its own copy of the descriptor
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def response_posts(self, after: int = 0) -> list[dict[str, Any]]:
        return [c.params for c in self.standin.calls_to("response_url")][after:]

    def wait_response(self, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
        return self.standin.wait_for("response_url", lambda c: predicate(c.params), timeout=timeout).params

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class Seen:
    """What the bot did during one test: the Slack calls and log lines that came after its start."""

    def __init__(self, bot: Harness):
        self.bot = bot
        self.calls_from = len(bot.standin.calls)
        self.log_from = len(bot.logs())

    def calls(self) -> list[Call]:
        return self.bot.standin.calls[self.calls_from:]

    def log(self) -> str:
        return self.bot.logs()[self.log_from:]


def llm_env(llm_url: str, api_key: str = "sk-test", **extra: str) -> dict[str, str]:
    """Settings that point a bot at a local OpenAI-compatible server; no SDK retries unless asked for."""
    return {"OPENAI_API_KEY": api_key, "OPENAI_BASE_URL": f"{llm_url}/v1", "PERSONA_LLM_MAX_RETRIES": "0", **extra}


def bot_env(tmp: Path, standin: SlackStandIn, warehouse_file: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process: this machine's, minus any of our settings, pointed at the stand-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERSONA_", "OPENAI_", "SLACK_", "REDIS_"))}
    env.update({
        "HOME": str(tmp / "home"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": standin.api_url,
        "PERSONA_DUCKDB_PATH": str(warehouse_file),
        **extra,
    })
    return env


@contextmanager
def running_bot(tmp: Path, warehouse_file: Path, env_extra: dict[str, str] | None = None,
                args: list[str] | None = None, workers: int = 1, worker_concurrency: int = 16) -> Iterator[Harness]:
    """`persona-bot serve`, and with REDIS_URL `workers` worker processes as a deployment runs them."""
    standin = SlackStandIn().start()
    port = free_port()
    log = tmp / "bot.log"
    env = bot_env(tmp, standin, warehouse_file, SLACK_SIGNING_SECRET=SIGNING_SECRET, **(env_extra or {}))
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *(args or [])]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, process_group=OWN_GROUP)
    url = f"http://127.0.0.1:{port}"
    sender = SlackRequestSender(f"{url}/slack/events", SIGNING_SECRET, response_url_factory=standin.response_url)
    harness = Harness(standin=standin, sender=sender, url=url, log=log, env=env)
    try:
        wait_healthy(url, proc, log)
        for _ in range(workers if queues_work(env) else 0):
            harness.start_worker(worker_concurrency)
        yield harness
    finally:
        harness.stop_workers()
        stop_process(proc)
        standin.stop()


def assert_slack_accepts(payload: dict[str, Any], kind: str = "message") -> None:
    problems = violations(payload, kind=kind)  # type: ignore[arg-type]
    assert problems == [], json.dumps(problems, ensure_ascii=False)


def action_ids(payload: dict[str, Any]) -> list[str]:
    out = []
    for block in payload.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            out.append(element.get("action_id"))
    return out


# --- reading what Slack received -----------------------------------------------------------------------------------


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def is_card(params: dict[str, Any]) -> bool:
    """The finished persona card (it carries the action buttons), not the working message or the data part."""
    return any(b.get("block_id") == "persona_actions" for b in blocks_of(params))


def url_posts(h: Harness, name: str) -> list[dict[str, Any]]:
    return [c.params for c in h.standin.calls_to("response_url") if c.path == f"/response_url/{name}"]


def wait_url(h: Harness, name: str, predicate: Any = lambda p: True, timeout: float = 20.0) -> dict[str, Any]:
    path = f"/response_url/{name}"
    return h.standin.wait_for("response_url", lambda c: c.path == path and predicate(c.params), timeout).params


FORM = "application/x-www-form-urlencoded"


def post_payload(sender: SlackRequestSender, payload: dict[str, Any]) -> int:
    """An interaction payload, signed and form-encoded as Slack posts it; the HTTP status."""
    return sender.post(urlencode({"payload": json.dumps(payload)}), FORM).status


def post_event(sender: SlackRequestSender, envelope: dict[str, Any]) -> int:
    """An Events API envelope, signed, as Slack posts it; the HTTP status."""
    return sender.post(json.dumps(envelope), "application/json").status


def log_lines(h: Harness) -> list[dict[str, Any]]:
    """The bot's JSON log so far, one dict a line."""
    return [json.loads(line) for line in h.logs().splitlines() if line.strip()]


def card_in_thread(h: Harness, channel: str, ts: str, timeout: float = 20.0) -> dict[str, Any]:
    """The card answering the message `ts`: the working message in its thread, updated into the card."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in h.standin.messages(channel, include_replies=True):
            if message.get("thread_ts") == ts and is_card(message):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no card in the thread of {ts}: {h.standin.messages(channel, include_replies=True)}")


def submit_product(h: Harness, click_name: str, product: str = "", *, user: str, timeout: float = 20.0) -> None:
    """Answers the product modal opened by the click whose response_url is named `click_name` (an empty product
    leaves an optional input blank)."""

    def opened_by_click(c: Any) -> bool:
        view = c.params.get("view") or {}
        view = json.loads(view) if isinstance(view, str) else view
        return f"/response_url/{click_name}" in view.get("private_metadata", "")

    opened = h.standin.wait_for("views.open", opened_by_click, timeout)
    values = {"product_block": {"product_input": {"type": "plain_text_input", "value": product or None}}}
    assert h.sender.view_submission(opened.response["view"], values, user_id=user).status == 200
