"""What an OpenAI-compatible server and model accept, learned from what they answer.

Servers differ in ways no setting can enumerate: llama.cpp's server rejects `response_format: json_schema` with
a 500 but constrains JSON with a grammar when given `{"type": "json_object", "schema": ...}`; OpenAI's reasoning
models (o-series, gpt-5) reject `max_tokens` and any `temperature` but the default. One `ServerProfile` per
(base URL, model) starts from what is known (the configured or recognised server kind, the model family) and
steps down on answers that name what was refused. Whatever it learns holds for the life of the process and is
logged once, with the status, code and param that taught it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import openai

log = logging.getLogger("bot.llm")

ServerKind = Literal["openai", "llamacpp", "vllm", "ollama", "unknown"]
ServerSetting = Literal["auto", "openai", "llamacpp", "vllm", "ollama"]
# json_object_schema is llama.cpp's grammar-constrained JSON: {"type": "json_object", "schema": ...}.
FormatMode = Literal["json_schema", "json_object_schema", "json_object", "text"]
TokenParam = Literal["max_tokens", "max_completion_tokens"]

# Where to go when a server refuses a response_format: always toward less structure, never back up.
NEXT_MODE: dict[FormatMode, FormatMode | None] = {
    "json_schema": "json_object",
    "json_object_schema": "json_object",
    "json_object": "text",
    "text": None,
}
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "response format")
# llama-cpp-python validates response_format.type itself and answers anything else with this (HTTP 500).
_LLAMACPP_FORMAT_REFUSAL = re.compile(r"'text' or 'json_object'")
# `owned_by` in /v1/models answers: llama.cpp's own server says "llamacpp", vLLM "vllm", Ollama the model's
# namespace ("library" for its own models), OpenAI "openai"/"system" (llama-cpp-python: see server_from_models).
_OWNERS: dict[str, ServerKind] = {
    "llamacpp": "llamacpp",
    "vllm": "vllm",
    "library": "ollama",
    "ollama": "ollama",
    "openai": "openai",
    "system": "openai",
    "openai-internal": "openai",
}
# Reasoning tokens count toward max_completion_tokens: the budget for the visible answer alone would leave a
# reasoning model with an empty reply cut off at the length limit.
REASONING_TOKEN_FACTOR = 4


def model_basename(model: str) -> str:
    # Routers prefix the provider ("openai/o3-mini"); the family is in the last part.
    return model.rsplit("/", 1)[-1].lower()


def is_reasoning_model(model: str) -> bool:
    """OpenAI reasoning families: o1, o3, o4-mini…, and the gpt-5 family (its chat models too refuse temperature)."""
    return bool(re.match(r"^(o\d+($|-)|gpt-5)", model_basename(model)))


def takes_reasoning_effort(model: str) -> bool:
    """Models that accept `reasoning_effort`: the reasoning families, and the open-weight gpt-oss."""
    return is_reasoning_model(model) or model_basename(model).startswith("gpt-oss")


def server_from_models(answer: Mapping[str, Any]) -> ServerKind:
    """The server kind from a /v1/models answer, by the `owned_by` of its models."""
    for entry in answer.get("data") or []:
        if not isinstance(entry, Mapping):
            continue
        owner = str(entry.get("owned_by", "")).lower()
        # llama-cpp-python's server lists each model as owned by "me", with an empty "permissions" list.
        if owner == "me" and entry.get("permissions") == []:
            return "llamacpp"
        kind = _OWNERS.get(owner)
        if kind is not None:
            return kind
    return "unknown"


def server_from_completion(completion: Any) -> ServerKind:
    """The server kind from the fingerprints servers leave in a chat completion (for the log only)."""
    extra = getattr(completion, "model_extra", None) or {}
    fingerprint = str(getattr(completion, "system_fingerprint", "") or "")
    if "timings" in extra or re.match(r"^b\d+-", fingerprint):
        return "llamacpp"
    if fingerprint == "fp_ollama":
        return "ollama"
    if "kv_transfer_params" in extra or "prompt_logprobs" in str(getattr(completion, "choices", "")):
        return "vllm"
    return "unknown"


def _error_text(exc: openai.APIStatusError) -> str:
    text = str(exc.message)
    if isinstance(exc.body, Mapping):
        text += " " + json.dumps(exc.body, default=str)
    elif exc.body is not None:
        text += " " + str(exc.body)
    return text


def error_fields(exc: openai.APIStatusError) -> dict[str, Any]:
    """Status, code, param and type of an error answer: what an operator needs, nothing the user wrote."""
    body = exc.body if isinstance(exc.body, Mapping) else {}
    inner = body.get("error", body) if isinstance(body.get("error", body), Mapping) else body
    return {
        "status": exc.status_code,
        "code": getattr(exc, "code", None) or inner.get("code"),
        "param": getattr(exc, "param", None) or inner.get("param"),
        "error_type": getattr(exc, "type", None) or inner.get("type"),
    }


def names_format(exc: openai.APIStatusError) -> bool:
    fields = error_fields(exc)
    if fields["param"] == "response_format":
        return True
    text = _error_text(exc).lower()
    return any(word in text for word in _FORMAT_WORDS)


@dataclass
class _State:
    server: ServerKind
    mode: FormatMode
    token_param: TokenParam
    temperature: bool
    reasoning_effort: bool
    reasoning: bool
    # Fastest completed call so far: what a retry needs at least, to judge whether it can still finish in time.
    fastest: float | None = None
    settled: bool = False


class ServerProfile:
    """What one (base URL, model) accepts. Shared by every thread using that server; all changes are locked."""

    def __init__(self, model: str, server: ServerKind, *, settled: bool):
        reasoning = is_reasoning_model(model)
        self.model = model
        self._lock = threading.Lock()
        self._state = _State(
            server=server,
            mode=initial_mode(server),
            token_param="max_completion_tokens" if reasoning else "max_tokens",
            temperature=not reasoning,
            reasoning_effort=takes_reasoning_effort(model),
            reasoning=reasoning,
            settled=settled,
        )

    # --- what to send -----------------------------------------------------------------------------------------

    @property
    def mode(self) -> FormatMode:
        return self._state.mode

    @property
    def server(self) -> ServerKind:
        return self._state.server

    @property
    def settled(self) -> bool:
        return self._state.settled

    @property
    def fastest(self) -> float | None:
        return self._state.fastest

    def request_options(
        self, *, max_tokens: int, temperature: float, reasoning_effort: str | None
    ) -> tuple[FormatMode, dict[str, Any]]:
        """The format mode and the sampling parameters this server and model take."""
        with self._lock:
            state = self._state
            options: dict[str, Any] = {}
            budget = max_tokens * REASONING_TOKEN_FACTOR if state.reasoning else max_tokens
            options[state.token_param] = budget
            if state.temperature:
                options["temperature"] = temperature
            if reasoning_effort and state.reasoning_effort:
                options["reasoning_effort"] = reasoning_effort
            return state.mode, options

    # --- learning ---------------------------------------------------------------------------------------------

    def settle(self, server: ServerKind, how: str) -> None:
        """Record the server kind once it is known (configured, from /v1/models, or from an answer)."""
        with self._lock:
            state = self._state
            changed = server != "unknown" and server != state.server
            if changed:
                state.server = server
                # Only the starting point moves: a mode already stepped down stays down.
                if state.mode == "json_schema" and server == "llamacpp":
                    state.mode = "json_object_schema"
            state.settled = True
        if changed:
            log.info("llm_server_recognised", extra={"server": server, "how": how, "model": self.model})

    def learn(self, exc: openai.APIStatusError, sent: Mapping[str, Any], mode: FormatMode) -> str | None:
        """Adapt to an error answer that names what the server refused; returns what changed, or None.

        Only these answers teach anything: a response_format refusal (400, 422 or 5xx naming it) and an
        unsupported parameter or value (400 with its `param`). Every other error leaves the profile as it was.
        """
        fields = error_fields(exc)
        status, code, param = fields["status"], fields["code"], fields["param"]
        if status == 400 and code in ("unsupported_parameter", "unsupported_value") and param != "response_format":
            change = self._drop_param(str(param), sent)
        elif (status in (400, 422) or status >= 500) and mode != "text" and names_format(exc):
            change = self._step_down(mode, llamacpp=bool(_LLAMACPP_FORMAT_REFUSAL.search(_error_text(exc))))
        else:
            change = None
        if change is not None:
            # Once per change: a profile never takes the same step twice.
            log.warning(
                "llm_server_learned",
                extra={"learned": change, "status": status, "code": code, "param": param,
                       "server": self._state.server, "model": self.model},
            )
        return change

    def _drop_param(self, param: str, sent: Mapping[str, Any]) -> str | None:
        with self._lock:
            state = self._state
            if param == "max_tokens" and state.token_param == "max_tokens" and param in sent:
                # Only reasoning models refuse max_tokens for max_completion_tokens.
                state.token_param, state.reasoning = "max_completion_tokens", True
                return "max_tokens -> max_completion_tokens"
            if param == "max_completion_tokens" and state.token_param == "max_completion_tokens" and param in sent:
                state.token_param = "max_tokens"
                return "max_completion_tokens -> max_tokens"
            if param == "temperature" and state.temperature and param in sent:
                state.temperature = False
                return "temperature dropped"
            if param == "reasoning_effort" and state.reasoning_effort and param in sent:
                state.reasoning_effort = False
                return "reasoning_effort dropped"
        return None

    def _step_down(self, failed: FormatMode, *, llamacpp: bool) -> str | None:
        with self._lock:
            state = self._state
            if state.mode != failed:
                # Another thread already stepped down from this mode: retry with what it chose.
                return None
            following = NEXT_MODE[failed]
            if failed == "json_schema" and llamacpp:
                # The refusal is llama-cpp-python's own: its grammar path takes the schema under json_object.
                state.server, following = "llamacpp", "json_object_schema"
            if following is None:
                return None
            state.mode = following
            return f"response_format {failed} -> {following}"

    def changed_since(self, mode: FormatMode, sent: Mapping[str, Any]) -> bool:
        """Whether another thread learned something since these options were chosen (then retry as it says)."""
        with self._lock:
            state = self._state
            return state.mode != mode or state.token_param not in sent or (
                "temperature" in sent and not state.temperature
            )

    def record_success(self, mode: FormatMode, seconds: float, completion: Any) -> None:
        recognised = server_from_completion(completion) if self._state.server == "unknown" else "unknown"
        with self._lock:
            state = self._state
            state.fastest = seconds if state.fastest is None else min(state.fastest, seconds)
        if recognised != "unknown":
            self.settle(recognised, "answer")


# Bounds for llama.cpp's grammar: the prompt asks for fields of at most 300 characters and short lists, but a small
# model can run on inside a string until the token limit cuts the JSON off. In the grammar, the bound holds.
GRAMMAR_MAX_CHARS = 300
GRAMMAR_MAX_ITEMS = 6


def grammar_schema(schema: Any) -> Any:
    """`schema` with every string and array bounded, for llama.cpp's grammar-constrained JSON.

    Only there: OpenAI's strict json_schema does not take every bound, and a server that follows the schema
    anyway is held to the prompt's limits by post-processing.
    """
    if isinstance(schema, list):
        return [grammar_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: grammar_schema(value) for key, value in schema.items()}
    kinds = bounded.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds:
        bounded.setdefault("maxLength", GRAMMAR_MAX_CHARS)
    if "array" in kinds:
        bounded.setdefault("maxItems", GRAMMAR_MAX_ITEMS)
    return bounded


def initial_mode(server: ServerKind) -> FormatMode:
    # vLLM and Ollama take the standard json_schema (vLLM and Ollama constrain decoding with it); llama.cpp's
    # reliable path is its own json_object with a schema.
    return "json_object_schema" if server == "llamacpp" else "json_schema"


class ProfileStore:
    """Profiles by (base URL, model), for the life of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: dict[tuple[str, str], ServerProfile] = {}

    def get(self, base_url: str, model: str, setting: ServerSetting) -> ServerProfile:
        key = (base_url.rstrip("/"), model)
        with self._lock:
            profile = self._profiles.get(key)
            if profile is None:
                known = configured_server(base_url, setting)
                profile = ServerProfile(model, known, settled=known != "unknown")
                self._profiles[key] = profile
            return profile

    def clear(self) -> None:
        with self._lock:
            self._profiles.clear()


def configured_server(base_url: str, setting: ServerSetting) -> ServerKind:
    if setting != "auto":
        return setting
    # OpenAI's own API needs no probe.
    return "openai" if "api.openai.com" in base_url else "unknown"


PROFILES = ProfileStore()
