"""Shared fixtures. Every test runs against its own warehouse file and never reads a developer's `.env`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from bot.config import Settings, get_settings
from bot.dataset import read_dataset, sample_dataset_dir
from bot.llm import OpenAIWriter
from bot.llm_compat import PROFILES
from bot.service import PersonaService
from bot.warehouse.duckdb import DuckDBWarehouse, write_duckdb_file
from tests.support.openai_server import FakeOpenAIServer
from tests.support.redis_server import RedisServer, running_redis

# Settings come from the environment: strip what a developer may have exported so tests are reproducible.
for _var in list(os.environ):
    if _var.startswith(("PERSONA_", "OPENAI_", "SLACK_")) or _var == "REDIS_URL":
        del os.environ[_var]


@pytest.fixture(scope="session")
def sample_dataset():
    return read_dataset(sample_dataset_dir())


@pytest.fixture(scope="session")
def sample_warehouse_file(tmp_path_factory: pytest.TempPathFactory, sample_dataset) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "sample.duckdb"
    write_duckdb_file(path, sample_dataset)
    return path


@pytest.fixture
def warehouse(sample_warehouse_file: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse.open(sample_warehouse_file)
    yield wh
    wh.close()


@pytest.fixture
def settings(sample_warehouse_file: Path) -> Settings:
    return Settings(PERSONA_DUCKDB_PATH=sample_warehouse_file, _env_file=None)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # Any code path that falls back to the default warehouse location must not touch the developer's home.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free port, one per test module (modules that kill it do not disturb others)."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[Redis]:
    """A raw client on an empty database; restarts the server if an earlier test left it stopped."""
    if redis_server.process is None:
        redis_server.start()
    raw = redis_server.client()
    raw.flushdb()
    yield raw
    raw.close()


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAIServer]:
    """The local OpenAI-compatible server, one per test module; tests script its replies and reset it."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def model_service(llm: FakeOpenAIServer, sample_warehouse_file: Path) -> Iterator[PersonaService]:
    """A persona service writing with `llm`'s model: its script reset, nothing learned about it, no retries."""
    PROFILES.clear()
    llm.reset()
    llm.handler = None
    settings = Settings(_env_file=None, OPENAI_API_KEY="sk-test-0123456789", OPENAI_BASE_URL=llm.url + "/v1",
                        PERSONA_LLM_MAX_RETRIES=0, PERSONA_DUCKDB_PATH=sample_warehouse_file)
    warehouse = DuckDBWarehouse.open(sample_warehouse_file)
    yield PersonaService(settings, warehouse, OpenAIWriter(settings))
    warehouse.close()
