"""Tokens per persona: what the API's usage figures say, what the bot records, and what it costs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stack import REPO_ROOT, Stack
from bench.tokens import load_counter
from tests.support.slack_harness import bot_env

EXAMPLE = REPO_ROOT / "prompts" / "persona_example.v2.en.json"


@dataclass
class TokenFigures:
    tokenizer: str
    completions: list[dict[str, int]]
    bot_reported: dict[str, int] | None
    bot_error: str | None
    example_completion: int | None
    max_tokens: int

    def mean(self, key: str) -> float | None:
        values = [c.get(key, 0) for c in self.completions]
        return sum(values) / len(values) if values else None

    def spread(self, key: str) -> str:
        values = [c.get(key, 0) for c in self.completions]
        return f"{min(values)}–{max(values)}" if values else "–"


def bot_reported_usage(stack: Stack, segment: str) -> tuple[dict[str, int] | None, str | None]:
    """The usage the bot itself records in a persona's meta, from `persona-bot persona --format json`."""
    home = stack.tmp / "cli"
    home.mkdir(parents=True, exist_ok=True)
    env = bot_env(home, stack.standin, stack.warehouse, OPENAI_API_KEY="sk-bench",
                  OPENAI_BASE_URL=f"{stack.llm.url}/v1")
    cmd = [sys.executable, "-m", "bot.cli", "persona", "--segment", segment, "--format", "json", "--refresh"]
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines() or ["no output"])[-1]
    meta: dict[str, Any] = json.loads(done.stdout).get("meta", {})
    return {"prompt_tokens": int(meta.get("prompt_tokens", 0)),
            "completion_tokens": int(meta.get("completion_tokens", 0))}, None


def example_completion_tokens(path: Path = EXAMPLE) -> int | None:
    """Tokens of the example persona shipped with the prompt: the size of answer a real model writes."""
    counter = load_counter()
    if counter is None or not path.exists():
        return None
    output = json.loads(path.read_text(encoding="utf-8"))["output"]
    return counter.text(json.dumps(output, ensure_ascii=False))
