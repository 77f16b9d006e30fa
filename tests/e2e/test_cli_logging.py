"""The CLI as an operator meets it when the LLM fails: logs like serve's, and a quiet end on a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.openai_server import FakeOpenAIServer, Reply

API_KEY = "sk-cli-logging-0123456789"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


def cli_env(warehouse_file: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERSONA_", "OPENAI_"))}
    env.update({"PERSONA_DUCKDB_PATH": str(warehouse_file), **extra})
    return env


def run_persona(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "persona", "--segment", "seg_001", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )


def test_an_llm_fault_is_logged_as_json_with_status_code_and_param(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    server.handler = lambda body: Reply.status_code(
        400, {"error": {"message": f"bad key {API_KEY}", "type": "invalid_request_error", "param": "messages",
                        "code": "context_length_exceeded"}}
    )
    env = cli_env(sample_warehouse_file, OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=server.url + "/v1",
                  PERSONA_LLM_SERVER="openai", PERSONA_LOG_FORMAT="json", PERSONA_LOG_LEVEL="INFO")
    proc = run_persona(env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["meta"]["note"] == "The language model server rejected the request."
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    [fault] = [line for line in lines if line["event"] == "llm_fault"]
    assert (fault["status"], fault["code"], fault["param"], fault["fault"]) == (
        400, "context_length_exceeded", "messages", "bad_request"
    )
    assert API_KEY not in proc.stderr


def test_text_logs_at_the_chosen_level(server: FakeOpenAIServer, sample_warehouse_file: Path) -> None:
    server.handler = lambda body: Reply.error(503, "overloaded", type="server_error")
    env = cli_env(sample_warehouse_file, OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=server.url + "/v1",
                  PERSONA_LLM_MAX_RETRIES="0", PERSONA_LOG_FORMAT="text", PERSONA_LOG_LEVEL="ERROR")
    quiet = run_persona(env)
    assert quiet.returncode == 0 and "llm_fault" not in quiet.stderr

    env["PERSONA_LOG_LEVEL"] = "WARNING"
    told = run_persona(env)
    fault = next(line for line in told.stderr.splitlines() if "llm_fault" in line)
    assert fault.startswith("WARNING bot.llm: llm_fault") and "status=503" in fault and "fault=server_error" in fault


def test_a_closed_pipe_ends_quietly_with_success(sample_warehouse_file: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "segments", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(sample_warehouse_file),
    )
    assert process.stdout is not None and process.stderr is not None
    # The reader goes away before the first line is written, as `persona-bot segments | head -0` would.
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert stderr == ""
