"""The front door of HTTP mode, tried as an attacker on the loopback would, against the real `persona-bot serve`.

Transport and configuration: idle connections, unsigned bodies in the logs, oversized and malformed bodies,
several workers without shared replay memory and /metrics on its own address. Who may do what (allowlist,
card buttons) and what users see are in `test_front_door_access.py`. Sizes are kept small enough for CI
(200 idle sockets, 3 × 100 MB); `scripts/measure_front_door.py` measures the full figures for docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.front_door_probe import MB, peak_rss, port_of, serving_pid, stream_oversized
from tests.support.slack_harness import (
    FORM,
    SIGNING_SECRET,
    Harness,
    bot_env,
    free_port,
    is_card,
    log_lines,
    running_bot,
    wait_url,
)

TEAM = "T0001"  # the stand-in's workspace
FRIEND = "T0FRIEND"  # another listed workspace
OUTSIDER = "T0EXT"  # a Slack Connect partner, not listed


@pytest.fixture(scope="module")
def metrics_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path, metrics_port: int) -> Iterator[Harness]:
    env = {"PERSONA_ALLOWED_TEAMS": f"{TEAM},{FRIEND}", "PERSONA_METRICS_BIND": f"127.0.0.1:{metrics_port}"}
    with running_bot(tmp_path_factory.mktemp("front"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


# --- helpers -------------------------------------------------------------------------------------------------------


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _raw(h: Harness, head: bytes, body: bytes = b"", timeout: float = 10.0) -> tuple[int, bytes]:
    """One request written byte for byte; returns the status and the whole answer."""
    with socket.create_connection(("127.0.0.1", port_of(h)), timeout=timeout) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]), data


def _head(length: int | None, *, timestamp: str | None = None, signature: str = "v0=" + "0" * 64,
          content_type: str = "application/json", extra: str = "") -> bytes:
    lines = ["POST /slack/events HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append(f"X-Slack-Request-Timestamp: {timestamp if timestamp is not None else int(time.time())}")
    lines.append(f"X-Slack-Signature: {signature}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()




# --- 1. idle connections --------------------------------------------------------------------------------------------


def test_idle_connections_neither_starve_health_checks_nor_commands_and_are_closed(bot: Harness) -> None:
    # Each socket sends half a request and stalls, as the attack did with 16; the old threaded server's 16 threads
    # all waited.
    idle = []
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", port_of(bot)), timeout=5)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        idle.append(sock)
    try:
        time.sleep(0.5)
        for _ in range(5):
            started = time.perf_counter()
            assert _get(f"{bot.url}/healthz", timeout=3)[0] == 200
            assert time.perf_counter() - started < 1.0
        started = time.perf_counter()
        resp = bot.sender.slash_command("fitness enthusiasts", user_id="U0IDLE", channel_id="C0IDLE",
                                        response_url=bot.standin.response_url("idle", channel_id="C0IDLE"))
        assert resp.status == 200 and time.perf_counter() - started < 3.0
        wait_url(bot, "idle", is_card)
        # The stalled sockets are closed after the header deadline instead of being held for as long as the
        # client likes.
        deadline = time.monotonic() + 20
        for sock in idle:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            assert sock.recv(1024) == b""
    finally:
        for sock in idle:
            sock.close()


# --- 2. unsigned bodies in the logs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_bot(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Harness]:
    env = {"PERSONA_LOG_FORMAT": "text"}
    with running_bot(tmp_path_factory.mktemp("front-text"), sample_warehouse_file, env_extra=env) as harness:
        yield harness


def test_unsigned_bodies_leave_only_length_hash_and_reason_in_the_log(text_bot: Harness) -> None:
    forged = "\nERROR bot.slack.guard: slack_request_refused reason=forged-by-client\n"
    body = ("MARKER-BODY" + forged + "x" * MB)[:MB].encode()
    before = len(text_bot.logs().encode())
    for _ in range(5):
        status, _ = _raw(text_bot, _head(len(body)), body)
        assert status == 401
    time.sleep(0.3)
    text = text_bot.logs()
    grown = len(text.encode()) - before
    assert grown < 5 * 500, text[before:]
    assert "MARKER-BODY" not in text and "forged-by-client" not in text
    refused = [line for line in text.splitlines() if "reason=bad_signature" in line]
    assert len(refused) == 5 and all("body_bytes=1048576" in line and "body_sha256=" in line for line in refused)


def test_bolt_loggers_stay_at_the_configured_level_after_the_app_is_built(sample_warehouse_file: Path) -> None:
    import logging

    from bot.config import Settings
    from bot.devtools import SlackStandIn
    from bot.logging_setup import configure_logging
    from bot.slack.app import create_app

    root_level = logging.getLogger().level
    with SlackStandIn() as standin:
        try:
            configure_logging("json", "INFO")
            settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                                SLACK_API_URL=standin.api_url, PERSONA_DUCKDB_PATH=sample_warehouse_file)
            create_app(settings)
            bolt = [name for name in logging.root.manager.loggerDict if name.startswith("slack_bolt")]
            assert "slack_bolt.RequestVerification" in bolt
            assert all(logging.getLogger(name).getEffectiveLevel() >= logging.WARNING for name in bolt)
        finally:
            logging.getLogger().setLevel(root_level)


# --- 3. oversized bodies ---------------------------------------------------------------------------------------------


def test_oversized_unsigned_bodies_are_refused_before_they_are_read(bot: Harness) -> None:
    statuses: list[int] = []
    with peak_rss(serving_pid(bot), every=0.02) as memory:
        senders = [threading.Thread(target=stream_oversized, args=(bot, _head(100 * MB), 100 * MB, statuses, 10))
                   for _ in range(3)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(timeout=60)
    baseline, peak = memory
    assert statuses == [413, 413, 413]
    assert peak - baseline < 50 * MB, (baseline, peak)
    assert _get(f"{bot.url}/healthz")[0] == 200


# --- 4. malformed bodies ---------------------------------------------------------------------------------------------


def _signed(body: bytes, timestamp: int | None = None) -> str:
    """Slack's v0 signature over raw bytes (the sender's helper takes text, and some bodies here are not text)."""
    ts = str(timestamp or int(time.time()))
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("name", "body", "signed", "status"),
    [
        ("unsigned invalid JSON", b"{not json", False, 401),
        ("unsigned non-UTF-8", b"\xff\xfe{}", False, 401),
        ("signed invalid JSON", b"{not json", True, 400),
        ("signed non-UTF-8", b"\xff\xfe\x00{}", True, 400),
        ("signed deep nesting", b"{\"a\":" + b"[" * 100_000 + b"]" * 100_000 + b"}", True, 400),
        ("signed JSON that is not an object", b"[1, 2]", True, 400),
        ("signed form whose payload is not JSON", b"payload=%7Bnope", True, 400),
    ],
)
def test_malformed_bodies_get_400_or_401_and_never_a_500(bot: Harness, name: str, body: bytes, signed: bool,
                                                         status: int) -> None:
    ts = int(time.time())
    content_type = FORM if body.startswith(b"payload=") else "application/json"
    signature = _signed(body, ts) if signed else "v0=" + "1" * 64
    got, answer = _raw(bot, _head(len(body), timestamp=str(ts), signature=signature, content_type=content_type), body)
    assert got == status, answer
    assert b"Traceback" not in answer
    assert "Traceback" not in bot.logs()
    log_lines(bot)  # still one JSON object per line


@pytest.mark.parametrize(
    ("name", "head", "status"),
    [
        ("non-numeric timestamp", _head(2, timestamp="soon"), 401),
        ("stale timestamp", _head(2, timestamp=str(int(time.time()) - 600)), 401),
        ("malformed signature", _head(2, signature="v1=abc"), 401),
        ("malformed Content-Length", _head(None, extra="Content-Length: 2x\r\n"), 400),
        ("no Content-Length (chunked)", _head(None, extra="Transfer-Encoding: chunked\r\n"), 400),
    ],
)
def test_malformed_headers_are_refused_before_the_body(bot: Harness, name: str, head: bytes, status: int) -> None:
    got, answer = _raw(bot, head, b"{}" if b"chunked" not in head else b"2\r\n{}\r\n0\r\n\r\n")
    assert got in (status, 400), answer  # h11 itself answers 400 to a Content-Length it cannot read
    assert "Traceback" not in bot.logs()
    log_lines(bot)


# --- 7. several workers without shared replay memory -----------------------------------------------------------------


def test_several_workers_without_redis_refuse_to_start_unless_overridden(
        tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> None:
    from bot.devtools import SlackStandIn

    workdir = tmp_path_factory.mktemp("front-workers")
    with SlackStandIn() as standin:
        env = bot_env(workdir, standin, sample_warehouse_file, SLACK_SIGNING_SECRET=SIGNING_SECRET)
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(free_port()),
               "--workers", "2"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "REDIS_URL" in lines[0] and "PERSONA_ALLOW_UNSHARED_WORKERS" in lines[0]
    with running_bot(workdir, sample_warehouse_file, env_extra={"PERSONA_ALLOW_UNSHARED_WORKERS": "1"},
                     args=["--workers", "2", "--threads", "2"]) as h:
        assert _get(f"{h.url}/healthz")[0] == 200


# --- 9. smaller points -----------------------------------------------------------------------------------------------


def test_metrics_can_be_served_on_their_own_address_only(bot: Harness, metrics_port: int) -> None:
    status, _ = _get(f"{bot.url}/metrics")
    assert status == 404
    status, body = _get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert status == 200 and b"persona_http_requests_total" in body
