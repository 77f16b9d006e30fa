"""Contract tests: the writer against the recorded answers of the servers people run, through the real SDK.

For each server the writer must reach the request the server accepts in the fewest calls, and the card must be
the model's (`writer=llm`). What was learned holds for the next persona, which then costs one call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Settings
from bot.llm import OpenAIWriter
from bot.llm_compat import PROFILES
from bot.service import PersonaService
from bot.store import PersonaRequest
from bot.warehouse.duckdb import DuckDBWarehouse
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.recorded_servers import (
    LLAMA_SERVER,
    LLAMACPP_PYTHON,
    OLLAMA,
    VLLM,
    RecordedServer,
    openai_reasoning,
)

API_KEY = "sk-contract-test-0123456789"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    PROFILES.clear()
    with FakeOpenAIServer() as running:
        yield running
    PROFILES.clear()


def service_for(server: FakeOpenAIServer, recorded: RecordedServer, warehouse_file: Path,
                **overrides: object) -> PersonaService:
    server.recorded = recorded
    values: dict[str, object] = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": server.url + "/v1",
        "PERSONA_LLM_MODEL": recorded.model,
        "PERSONA_LLM_TIMEOUT": 10.0,
        "PERSONA_DUCKDB_PATH": warehouse_file,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    return PersonaService(settings, DuckDBWarehouse.open(warehouse_file), OpenAIWriter(settings))


def formats(server: FakeOpenAIServer) -> list[object]:
    found = []
    for request in server.requests:
        response_format = request.body.get("response_format")
        if response_format is None:
            found.append(None)
        elif response_format["type"] == "json_object" and "schema" in response_format:
            found.append("json_object+schema")
        else:
            found.append(response_format["type"])
    return found


def models_probes(server: FakeOpenAIServer) -> int:
    return sum(1 for r in server.all_requests if r.method == "GET" and r.path.endswith("/models"))


def assert_llm_card(service: PersonaService, lang: str = "en") -> None:
    # refresh: every call writes anew rather than answering from the cache, so each one shows what is sent.
    result = service.run(PersonaRequest(kind="segment", query="seg_001", lang=lang), refresh=True)
    assert result.meta.writer == "llm", result.meta.note
    assert result.meta.note is None
    assert result.meta.model == service.writer.model_name
    # The data's figures stay the data's.
    assert result.demographics.source != "ai_estimate" and result.demographics.gender


# --- llama.cpp ------------------------------------------------------------------------------------------------


def test_llamacpp_python_is_recognised_from_its_models_answer(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    service = service_for(server, LLAMACPP_PYTHON, sample_warehouse_file)
    assert_llm_card(service)
    assert models_probes(server) == 1 and formats(server) == ["json_object+schema"]
    schema = server.requests[0].body["response_format"]["schema"]
    assert schema["required"] == ["profile", "hashtags", "citations", "demographics_estimate"]
    # Bounded, so a small model cannot run on inside a string until the token limit cuts the JSON.
    assert schema["$defs"]["Profile"]["properties"]["interests"]["maxLength"] == 300
    assert schema["$defs"]["Hashtags"]["properties"]["zh"]["maxItems"] == 6


def test_llamacpp_python_behind_a_proxy_steps_to_its_grammar_after_one_refusal(
    server: FakeOpenAIServer, sample_warehouse_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The model list is hidden, so only the server's first answer can tell: its 500 for json_schema.
    caplog.set_level(logging.INFO, logger="bot.llm")
    service = service_for(server, replace(LLAMACPP_PYTHON, models=None), sample_warehouse_file)
    assert_llm_card(service)
    # One refused json_schema (a 500 the SDK would have retried twice), then llama.cpp's schema-constrained JSON.
    assert formats(server) == ["json_schema", "json_object+schema"]
    learned = [r for r in caplog.records if r.getMessage() == "llm_server_learned"]
    assert len(learned) == 1
    assert (learned[0].status, learned[0].learned) == (500, "response_format json_schema -> json_object_schema")
    assert service.writer.server == "llamacpp"

    # Learned for the process: the next persona costs one call, and the log says nothing new.
    assert_llm_card(service, lang="zh-TW")
    assert formats(server)[2:] == ["json_object+schema"]
    assert len([r for r in caplog.records if r.getMessage() == "llm_server_learned"]) == 1
    assert models_probes(server) == 1


def test_llamacpp_named_in_settings_uses_the_grammar_from_the_first_call(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    service = service_for(server, LLAMACPP_PYTHON, sample_warehouse_file, PERSONA_LLM_SERVER="llamacpp")
    assert_llm_card(service)
    assert formats(server) == ["json_object+schema"]
    # A named server needs no probe.
    assert models_probes(server) == 0


def test_llama_server_is_recognised_from_its_models_answer(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    service = service_for(server, LLAMA_SERVER, sample_warehouse_file)
    assert_llm_card(service)
    assert formats(server) == ["json_object+schema"]
    assert models_probes(server) == 1


# --- OpenAI reasoning models ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-5-mini", "o3-mini", "o4-mini-2025-04-16", "openai/gpt-5"])
def test_a_known_reasoning_family_gets_its_parameters_from_the_first_call(
    server: FakeOpenAIServer, sample_warehouse_file: Path, model: str
) -> None:
    service = service_for(server, openai_reasoning(model), sample_warehouse_file,
                          PERSONA_LLM_REASONING_EFFORT="low", PERSONA_LLM_MAX_TOKENS=1000)
    assert_llm_card(service)
    assert server.calls == 1
    sent = server.requests[0].body
    assert "max_tokens" not in sent and "temperature" not in sent
    # Reasoning tokens count toward the budget, so it is larger than the visible answer's.
    assert sent["max_completion_tokens"] == 4000
    assert sent["reasoning_effort"] == "low"
    assert formats(server) == ["json_schema"]


def test_an_unknown_reasoning_model_is_learned_from_its_two_refusals(
    server: FakeOpenAIServer, sample_warehouse_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A deployment alias hides the family: the 400 bodies must teach the writer, without costing the format.
    caplog.set_level(logging.INFO, logger="bot.llm")
    service = service_for(server, openai_reasoning("persona-reasoner"), sample_warehouse_file,
                          PERSONA_LLM_REASONING_EFFORT="low")
    assert_llm_card(service)
    assert server.calls == 3
    first, second, third = (r.body for r in server.requests)
    assert "max_tokens" in first and "max_completion_tokens" in second and second["temperature"] == 0.3
    assert "temperature" not in third and "max_tokens" not in third
    # reasoning_effort goes only to models known to take it.
    assert "reasoning_effort" not in third
    assert formats(server) == ["json_schema"] * 3
    learned = [(r.status, r.code, r.param) for r in caplog.records if r.getMessage() == "llm_server_learned"]
    assert learned == [(400, "unsupported_parameter", "max_tokens"), (400, "unsupported_value", "temperature")]
    assert API_KEY not in caplog.text

    assert_llm_card(service)
    assert server.calls == 4


def test_other_400s_never_change_what_is_sent(server: FakeOpenAIServer, sample_warehouse_file: Path) -> None:
    service = service_for(server, VLLM, sample_warehouse_file)
    server.enqueue(Reply.error(400, "This model's maximum context length is 32768 tokens.", param="messages"))
    result = service.run(PersonaRequest(kind="segment", query="seg_001", lang="en"))
    assert result.meta.writer == "offline" and result.meta.note == "The language model server rejected the request."
    assert_llm_card(service)
    assert formats(server) == ["json_schema", "json_schema"]
    assert all("max_tokens" in r.body and "temperature" in r.body for r in server.requests)


# --- vLLM and Ollama ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("recorded", "kind"), [(VLLM, "vllm"), (OLLAMA, "ollama")])
def test_vllm_and_ollama_take_the_standard_json_schema_in_one_call(
    server: FakeOpenAIServer, sample_warehouse_file: Path, recorded: RecordedServer, kind: str
) -> None:
    service = service_for(server, recorded, sample_warehouse_file)
    assert_llm_card(service, lang="zh-CN")
    assert server.calls == 1 and formats(server) == ["json_schema"]
    assert server.requests[0].body["response_format"]["json_schema"]["strict"] is True
    assert service.writer.server == kind


# --- the rules, one answer at a time ----------------------------------------------------------------------------


def test_a_422_naming_the_format_steps_down_at_once_without_retries(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    service = service_for(server, VLLM, sample_warehouse_file, PERSONA_LLM_MAX_RETRIES=2)
    server.enqueue(Reply.error(422, "response_format: json_schema is not supported by this backend"))
    assert_llm_card(service)
    assert formats(server) == ["json_schema", "json_object"]


def test_a_5xx_that_does_not_name_the_format_is_retried_not_learned(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    service = service_for(server, VLLM, sample_warehouse_file, PERSONA_LLM_MAX_RETRIES=1)
    server.enqueue(Reply.error(503, "engine overloaded", type="server_error", headers={"retry-after-ms": "10"}))
    assert_llm_card(service)
    assert formats(server) == ["json_schema", "json_schema"]


def test_a_refused_reasoning_effort_is_dropped_and_retried_once(
    server: FakeOpenAIServer, sample_warehouse_file: Path
) -> None:
    # gpt-oss behind a server that does not pass reasoning_effort on.
    recorded = replace(VLLM, model="openai/gpt-oss-20b")
    service = service_for(server, recorded, sample_warehouse_file, PERSONA_LLM_REASONING_EFFORT="high")
    server.enqueue(Reply.status_code(400, {"error": {
        "message": "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
        "type": "invalid_request_error", "param": "reasoning_effort", "code": "unsupported_parameter"}}))
    assert_llm_card(service)
    assert server.calls == 2
    assert server.requests[0].body["reasoning_effort"] == "high" and "reasoning_effort" not in server.requests[1].body
    # gpt-oss keeps max_tokens and temperature: only the OpenAI reasoning families refuse those.
    assert "max_tokens" in server.requests[1].body and "temperature" in server.requests[1].body
