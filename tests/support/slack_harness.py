"""The real Slack app in HTTP mode (`persona-bot serve` as a subprocess) wired to the local Slack stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.devtools import Call, SlackRequestSender, SlackStandIn
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
                args: list[str] | None = None) -> Iterator[Harness]:
    standin = SlackStandIn().start()
    port = free_port()
    log = tmp / "bot.log"
    env = bot_env(tmp, standin, warehouse_file, SLACK_SIGNING_SECRET=SIGNING_SECRET, **(env_extra or {}))
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *(args or [])]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, process_group=OWN_GROUP)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        sender = SlackRequestSender(f"{url}/slack/events", SIGNING_SECRET, response_url_factory=standin.response_url)
        yield Harness(standin=standin, sender=sender, url=url, log=log)
    finally:
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
