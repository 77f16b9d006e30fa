"""A local BigQuery emulator for the `bigquery` tests: started once per test run as a subprocess.

The emulator (bqemulator, backed by DuckDB) lives in its own virtual environment made by
`scripts/setup_bq_emulator.sh`; the real google-cloud-bigquery client talks to it over HTTP. Without that
environment the tests are skipped with the reason, except in CI (CI=true), where they must run and so fail.

Test modules use it by importing the fixtures:
`from tests.support.bq_emulator import bq_client, bq_endpoint  # noqa: F401`.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import google.auth.credentials
import pytest
from google.cloud import bigquery

from tests.support.paths import REPO_ROOT
from tests.support.processes import OWN_GROUP, ExitedWhileStarting, free_port, stop_process, wait_until_answers

PROJECT = "test"
READY_TIMEOUT = 30.0


def venv_dir() -> Path:
    return Path(os.environ.get("BQEMU_VENV_DIR", REPO_ROOT / ".venv-bqemu"))


class EmulatorUnavailable(RuntimeError):
    pass


@contextmanager
def running_emulator(
    venv: Path | None = None, log_path: Path | None = None, processes: list[subprocess.Popen[bytes]] | None = None
) -> Iterator[str]:
    """Start the emulator on free loopback ports and yield its REST endpoint; stop it afterwards.

    `processes`, when given, receives the emulator's process, for tests that make it fail on purpose.
    """
    venv = venv or venv_dir()
    exe = venv / "bin" / "bqemulator"
    if not exe.is_file():
        raise EmulatorUnavailable(f"no emulator at {exe}; run `bash scripts/setup_bq_emulator.sh`")
    rest, grpc = free_port(), free_port()
    log_path = log_path or venv / f"emulator-{rest}.log"
    env = {
        **os.environ,
        # The spatial extension was placed under this HOME by the setup script; another HOME would download it.
        "HOME": str(venv / "home"),
        "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
    }
    cmd = [
        str(exe), "start", "--rest-port", str(rest), "--grpc-port", str(grpc),
        "--project", PROJECT, "--log-level", "warning",
    ]
    # Output goes to a file: an unread pipe fills up and freezes the server.
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                process_group=OWN_GROUP)
    endpoint = f"http://127.0.0.1:{rest}"
    if processes is not None:
        processes.append(proc)
    try:
        try:
            ready = wait_until_answers(endpoint + "/readyz", proc, READY_TIMEOUT)
        except ExitedWhileStarting as exited:
            raise EmulatorUnavailable(f"the emulator exited with {exited.returncode}; see {log_path}") from None
        if not ready:
            raise EmulatorUnavailable(f"the emulator was not ready within {READY_TIMEOUT:g} s; see {log_path}")
        yield endpoint
    finally:
        stop_process(proc)


def make_client(endpoint: str) -> bigquery.Client:
    return bigquery.Client(
        project=PROJECT,
        credentials=google.auth.credentials.AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )


def fresh_dataset(client: bigquery.Client, prefix: str = "t") -> str:
    """A new, empty dataset on the emulator, named uniquely so tests never see each other's tables."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    client.create_dataset(name)
    return name


# One emulator per test process. A fixture imported into several test modules gets one definition per module,
# each of which would start its own emulator; the process-wide instance below is shared by all of them.
_shared = ExitStack()
_shared_endpoint: list[str] = []


def shared_endpoint(log_path: Path) -> str:
    if not _shared_endpoint:
        # A second try covers the rare case of another process taking a port between its choice and the start.
        for attempt in range(2):
            try:
                _shared_endpoint.append(_shared.enter_context(running_emulator(log_path=log_path)))
                break
            except EmulatorUnavailable:
                if attempt:
                    raise
        atexit.register(stop_shared)
    return _shared_endpoint[0]


def stop_shared() -> None:
    _shared_endpoint.clear()
    _shared.close()


@pytest.fixture(scope="session")
def bq_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (venv_dir() / "bin" / "bqemulator").is_file():
        reason = f"BigQuery emulator not installed at {venv_dir()}; run `bash scripts/setup_bq_emulator.sh`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI must run the bigquery tests)")
        pytest.skip(reason)
    try:
        endpoint = shared_endpoint(tmp_path_factory.getbasetemp() / "bq-emulator.log")
    except EmulatorUnavailable as exc:
        pytest.fail(str(exc))
    yield endpoint
    stop_shared()


@pytest.fixture(scope="session")
def bq_client(bq_endpoint: str) -> Iterator[bigquery.Client]:
    client = make_client(bq_endpoint)
    yield client
    client.close()
