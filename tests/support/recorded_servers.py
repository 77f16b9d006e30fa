"""What real OpenAI-compatible servers answer, for the local test server to replay (`FakeOpenAIServer(recorded=…)`).

Each `RecordedServer` holds a server's /v1/models answer, the error bodies it sends for a request it refuses
(status, message, type, param and code exactly as the server writes them) and the fields its chat completions
carry. Only the assistant's words are the test server's own (its default persona), so a contract test shows the
writer reaching the right request in the fewest calls against the answers it will really meet.

Sources: llama-cpp-python 0.3.36's server (`python -m llama_cpp.server`, recorded from the real server that
`scripts/setup_llamacpp.sh` builds); OpenAI's reasoning models (the 400 bodies of the chat completions API for
`max_tokens` and `temperature`); vLLM's and Ollama's OpenAI-compatible servers (their answer formats).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.openai_server import Reply

Refusal = Callable[[dict[str, Any]], Reply | None]


def _refuses_nothing(body: dict[str, Any]) -> Reply | None:
    return None


@dataclass(frozen=True)
class RecordedServer:
    name: str
    model: str
    # The /v1/models answer; None answers 404 (a proxy in front that hides the list).
    models: dict[str, Any] | None
    refuse: Refusal = _refuses_nothing
    # Fields of a chat completion beyond OpenAI's, and the message fields the server writes.
    extra: dict[str, Any] = field(default_factory=dict)
    message_extra: dict[str, Any] = field(default_factory=dict)
    id_prefix: str = "chatcmpl-"

    def refusal(self, body: dict[str, Any]) -> Reply | None:
        return self.refuse(body)

    def completion(
        self, body: dict[str, Any], content: str, finish_reason: str, usage: dict[str, Any], number: int
    ) -> dict[str, Any]:
        return {
            "id": f"{self.id_prefix}{number:08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, **self.message_extra},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage,
            **self.extra,
        }


def _format_type(body: dict[str, Any]) -> str | None:
    return (body.get("response_format") or {}).get("type")


# --- llama-cpp-python 0.3.36 ----------------------------------------------------------------------------------

LLAMACPP_PYTHON_MODELS: dict[str, Any] = {
    "object": "list",
    "data": [{"id": "smollm2", "object": "model", "owned_by": "me", "permissions": []}],
}
# Recorded verbatim but for the install path in the traceback line.
LLAMACPP_PYTHON_JSON_SCHEMA_REFUSAL = Reply.status_code(
    500,
    {
        "error": {
            "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
            "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
            "'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File "
            "\"/opt/llamacpp/lib/python3.11/site-packages/llama_cpp/server/app.py\", line 376, in "
            "create_chat_completion\n    POST /v1/chat/completions",
            "type": "internal_server_error",
            "param": None,
            "code": None,
        }
    },
)


def _llamacpp_python_refuse(body: dict[str, Any]) -> Reply | None:
    # It validates response_format.type itself: only "text" and "json_object" (with an optional schema) pass.
    if _format_type(body) not in (None, "text", "json_object"):
        return LLAMACPP_PYTHON_JSON_SCHEMA_REFUSAL
    return None


LLAMACPP_PYTHON = RecordedServer(
    name="llama-cpp-python",
    model="smollm2",
    models=LLAMACPP_PYTHON_MODELS,
    refuse=_llamacpp_python_refuse,
    # Its completions carry no system_fingerprint and no refusal field.
    id_prefix="chatcmpl-fec1940b-8616-4c48-b5ea-",
)

# --- llama.cpp's own server (llama-server): /v1/models names itself ------------------------------------------

LLAMA_SERVER = RecordedServer(
    name="llama-server",
    model="SmolLM2-135M-Instruct-Q4_1.gguf",
    models={
        "object": "list",
        "data": [
            {
                "id": "SmolLM2-135M-Instruct-Q4_1.gguf",
                "object": "model",
                "created": 1754000000,
                "owned_by": "llamacpp",
                "meta": {"vocab_type": 2, "n_vocab": 49152, "n_ctx_train": 8192, "n_embd": 576,
                         "n_params": 134515008, "size": 98172480},
            }
        ],
    },
    refuse=_llamacpp_python_refuse,
    extra={"system_fingerprint": "b6000-1a2b3c4d", "timings": {"prompt_n": 1, "predicted_n": 1}},
)

# --- OpenAI reasoning models (o-series, gpt-5) ----------------------------------------------------------------

MAX_TOKENS_REFUSAL = Reply.status_code(
    400,
    {
        "error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter",
        }
    },
)


def temperature_refusal(value: object) -> Reply:
    return Reply.status_code(
        400,
        {
            "error": {
                "message": f"Unsupported value: 'temperature' does not support {value} with this model. "
                "Only the default (1) value is supported.",
                "type": "invalid_request_error",
                "param": "temperature",
                "code": "unsupported_value",
            }
        },
    )


def _reasoning_refuse(body: dict[str, Any]) -> Reply | None:
    # One refusal at a time, max_tokens first, as the API answers.
    if "max_tokens" in body:
        return MAX_TOKENS_REFUSAL
    if "temperature" in body and body["temperature"] != 1:
        return temperature_refusal(body["temperature"])
    return None


def openai_reasoning(model: str = "gpt-5-mini") -> RecordedServer:
    return RecordedServer(
        name="openai-reasoning",
        model=model,
        models={"object": "list", "data": [{"id": model, "object": "model", "created": 1754425928,
                                            "owned_by": "system"}]},
        refuse=_reasoning_refuse,
        extra={"service_tier": "default", "system_fingerprint": None},
        message_extra={"refusal": None, "annotations": []},
    )


# --- vLLM -----------------------------------------------------------------------------------------------------

VLLM = RecordedServer(
    name="vllm",
    model="Qwen/Qwen2.5-7B-Instruct",
    models={
        "object": "list",
        "data": [
            {
                "id": "Qwen/Qwen2.5-7B-Instruct",
                "object": "model",
                "created": 1754000000,
                "owned_by": "vllm",
                "root": "Qwen/Qwen2.5-7B-Instruct",
                "parent": None,
                "max_model_len": 32768,
                "permission": [
                    {
                        "id": "modelperm-0c6e4b1f",
                        "object": "model_permission",
                        "created": 1754000000,
                        "allow_create_engine": False,
                        "allow_sampling": True,
                        "allow_logprobs": True,
                        "allow_search_indices": False,
                        "allow_view": True,
                        "allow_fine_tuning": False,
                        "organization": "*",
                        "group": None,
                        "is_blocking": False,
                    }
                ],
            }
        ],
    },
    extra={"service_tier": None, "system_fingerprint": None, "prompt_logprobs": None, "kv_transfer_params": None},
    message_extra={"refusal": None, "annotations": None, "audio": None, "function_call": None, "tool_calls": [],
                   "reasoning_content": None},
)

# --- Ollama ---------------------------------------------------------------------------------------------------

OLLAMA = RecordedServer(
    name="ollama",
    model="qwen2.5:7b",
    models={"object": "list", "data": [{"id": "qwen2.5:7b", "object": "model", "created": 1754000000,
                                        "owned_by": "library"}]},
    extra={"system_fingerprint": "fp_ollama"},
)
