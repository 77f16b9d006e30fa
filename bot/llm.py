"""The persona writer backed by any OpenAI-compatible chat completions server."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import openai
from pydantic import BaseModel, ValidationError

from bot.config import Settings
from bot.errors import LLMError
from bot.models import PersonaDraft, WriterRequest
from bot.prompting import (
    draft_json_schema,
    render_persona_messages,
    render_repair_message,
    strict_json_schema,
)
from bot.writers import WriterResult
from prompts import PERSONA_PROMPT_VERSION

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
FormatMode = Literal["json_schema", "json_object", "text"]

# Fallback order when a server rejects a response_format: strict schema, then plain JSON mode, then no format.
_NEXT_MODE: dict[FormatMode, FormatMode | None] = {
    "json_schema": "json_object",
    "json_object": "text",
    "text": None,
}
# A broken reply echoed back for repair is capped so that a runaway answer cannot double the prompt.
_MAX_ECHO_CHARS = 8000
_MAX_PROBLEMS = 8


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


class InvalidReply(ValueError):
    """A reply that is not the JSON asked for; its message goes back to the model for the repair."""


@dataclass(frozen=True)
class _Reply:
    content: str
    finish_reason: str | None
    usage: Usage


def extract_json_text(content: str) -> str:
    """The JSON object in a reply, tolerating code fences, a leading reasoning block or chatter around it."""
    text = content.strip()
    if text.startswith("<think>") and "</think>" in text:
        text = text.split("</think>", 1)[1]
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        return text.strip()
    return text[start : end + 1]


def _describe_validation(error: ValidationError) -> str:
    lines = []
    for item in error.errors()[:_MAX_PROBLEMS]:
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"- {where}: {item['msg']}")
    if error.error_count() > _MAX_PROBLEMS:
        lines.append(f"- … and {error.error_count() - _MAX_PROBLEMS} more problems")
    return "\n".join(lines)


def parse_reply(content: str, model: type[M], finish_reason: str | None = None) -> M:
    """Parse and validate a reply; raises `InvalidReply` with a description fit to send back to the model."""
    try:
        data = json.loads(extract_json_text(content))
    except json.JSONDecodeError as exc:
        if finish_reason == "length":
            raise InvalidReply("- the reply was cut off at the length limit; keep every text field short") from exc
        raise InvalidReply(f"- not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise InvalidReply("- the reply must be one JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidReply(_describe_validation(exc)) from exc


def check_draft(draft: PersonaDraft, request: WriterRequest) -> PersonaDraft:
    """Request-specific rules the schema alone cannot carry in JSON mode."""
    estimate = draft.demographics_estimate
    if not request.needs_estimate:
        # The data covers the figures: whatever the model guessed is discarded rather than shown.
        return draft if estimate is None else draft.model_copy(update={"demographics_estimate": None})
    if estimate is None:
        raise InvalidReply("- demographics_estimate: required because needs_estimate is true")
    problems = []
    for dimension, wanted in request.buckets.items():
        got = getattr(estimate, dimension, None)
        if got is not None and set(got) != set(wanted):
            problems.append(f"- demographics_estimate.{dimension}: use exactly the buckets {wanted}")
    if problems:
        raise InvalidReply("\n".join(problems))
    return draft


def fault_kind(exc: openai.OpenAIError) -> str:
    """A short, stable name for what went wrong, for logs and dashboards."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "auth"
    if isinstance(exc, openai.NotFoundError):
        return "not_found"
    if isinstance(exc, openai.BadRequestError):
        return "bad_request"
    if isinstance(exc, openai.APIStatusError):
        return "server_error" if exc.status_code >= 500 else "http_status"
    return "unknown"


def _friendly_error(exc: openai.OpenAIError, settings: Settings) -> LLMError:
    status = getattr(exc, "status_code", None)
    kind = fault_kind(exc)
    # The exception's own message can quote the request or the key; only its type and status are logged.
    log.warning(
        "llm_fault",
        extra={
            "fault": kind,
            "status": status,
            "error": type(exc).__name__,
            "llm_request_id": getattr(exc, "request_id", None),
            "model": settings.llm_model,
        },
    )
    messages = {
        "timeout": f"The language model did not answer within {settings.llm_timeout:g} s.",
        "connection": "Could not reach the language model server.",
        "rate_limited": "The language model service is busy (rate limited). Try again in a minute.",
        "auth": "The language model service rejected the configured API key.",
        "not_found": f"The model {settings.llm_model!r} is not available on the language model server.",
        "bad_request": "The language model server rejected the request.",
        "server_error": f"The language model server failed (HTTP {status}).",
        "http_status": f"The language model server failed (HTTP {status}).",
    }
    return LLMError(messages.get(kind, "The language model call failed."))


def _error_answer_logger(model: str) -> Callable[[Any], None]:
    """An HTTP response hook that logs every error answer, including the ones the SDK then retries."""

    def log_error_answer(response: Any) -> None:
        if response.status_code < 400:
            return
        retries = response.request.headers.get("x-stainless-retry-count", "0")
        log.warning(
            "llm_http_error",
            extra={
                "status": response.status_code,
                "retry_after": response.headers.get("retry-after") or response.headers.get("retry-after-ms"),
                "attempt": int(retries) + 1 if retries.isdigit() else None,
                "model": model,
            },
        )

    return log_error_answer


def _mentions_format(exc: openai.APIStatusError) -> bool:
    text = str(exc.message).lower()
    if isinstance(exc.body, Mapping):
        text += " " + json.dumps(exc.body, default=str).lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object", "response format"))


class OpenAIWriter:
    """One chat completion per persona; a second call only to repair an unusable reply."""

    kind = "llm"
    prompt_version = PERSONA_PROMPT_VERSION

    def __init__(self, settings: Settings, client: openai.OpenAI | None = None):
        self.settings = settings
        self.model_name = settings.llm_model
        if client is None:
            if not settings.llm_enabled or settings.openai_api_key is None:
                raise LLMError("No OPENAI_API_KEY is configured for the language model.")
            client = openai.OpenAI(
                api_key=settings.openai_api_key.get_secret_value(),
                base_url=settings.openai_base_url,
                timeout=settings.llm_timeout,
                max_retries=settings.llm_max_retries,
                http_client=openai.DefaultHttpxClient(
                    event_hooks={"response": [_error_answer_logger(settings.llm_model)]}
                ),
            )
        self._client = client
        # Learned per instance: which response_format the server accepts. Shared by request threads.
        self._lock = threading.Lock()
        self._mode: FormatMode = "json_schema"
        self._schema_confirmed = False

    @property
    def format_mode(self) -> FormatMode:
        return self._mode

    def write(self, request: WriterRequest) -> WriterResult:
        draft, usage = self.complete_json(
            render_persona_messages(request),
            PersonaDraft,
            schema=draft_json_schema(request),
            check=lambda d: check_draft(d, request),
        )
        return WriterResult(draft=draft, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)

    def complete_json(
        self,
        messages: Sequence[Mapping[str, str]],
        model: type[M],
        *,
        schema: dict[str, Any] | None = None,
        check: Callable[[M], M] | None = None,
    ) -> tuple[M, Usage]:
        """Ask for a JSON object matching `model`; one repair attempt if the reply is unusable.

        `check` may adjust the parsed object or raise `InvalidReply` (a `ValueError`) to trigger the repair.
        Raises `LLMError` when the server fails or both replies are unusable.
        """
        conversation = [dict(message) for message in messages]
        if schema is None:
            schema = strict_json_schema(model)
        reply = self._create(conversation, model.__name__, schema)
        usage = reply.usage
        try:
            return self._accept(reply, model, check), usage
        except InvalidReply as first:
            log.warning(
                "llm_reply_unusable",
                extra={
                    "attempt": 1,
                    "problems": str(first).count("\n") + 1,
                    "finish_reason": reply.finish_reason,
                    "reply_chars": len(reply.content),
                    "model": self.model_name,
                },
            )
            conversation += [
                {"role": "assistant", "content": reply.content[:_MAX_ECHO_CHARS] or "(empty reply)"},
                {"role": "user", "content": render_repair_message(str(first))},
            ]
        repaired = self._create(conversation, model.__name__, schema)
        usage += repaired.usage
        try:
            accepted = self._accept(repaired, model, check)
        except InvalidReply as second:
            log.warning(
                "llm_fault",
                extra={
                    "fault": "unusable",
                    "attempt": 2,
                    "problems": str(second).count("\n") + 1,
                    "finish_reason": repaired.finish_reason,
                    "model": self.model_name,
                },
            )
            raise LLMError("The language model returned an unusable answer, even after a retry.") from second
        log.warning("llm_reply_repaired", extra={"attempt": 2, "model": self.model_name})
        return accepted, usage

    @staticmethod
    def _accept(reply: _Reply, model: type[M], check: Callable[[M], M] | None) -> M:
        parsed = parse_reply(reply.content, model, reply.finish_reason)
        if check is None:
            return parsed
        try:
            return check(parsed)
        except InvalidReply:
            raise
        except ValueError as exc:
            raise InvalidReply(f"- {exc}") from exc

    def _response_format(self, mode: FormatMode, name: str, schema: dict[str, Any]) -> dict[str, Any] | None:
        if mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    def _format_rejected(self, exc: openai.BadRequestError, mode: FormatMode) -> bool:
        if _mentions_format(exc):
            return True
        # Some servers answer an unsupported schema with a bare 400; until one structured call has worked,
        # a 400 is taken to mean that.
        return mode == "json_schema" and not self._schema_confirmed

    def _downgrade(self, failed: FormatMode) -> None:
        with self._lock:
            following = _NEXT_MODE[failed]
            if self._mode == failed and following is not None:
                log.info("LLM server rejected response_format %s; using %s from now on", failed, following)
                self._mode = following

    def _create(self, messages: list[dict[str, str]], name: str, schema: dict[str, Any]) -> _Reply:
        while True:
            mode = self._mode
            kwargs: dict[str, Any] = {
                "model": self.settings.llm_model,
                "messages": messages,
                "temperature": self.settings.llm_temperature,
                "max_tokens": self.settings.llm_max_tokens,
            }
            response_format = self._response_format(mode, name, schema)
            if response_format is not None:
                kwargs["response_format"] = response_format
            try:
                completion = self._client.chat.completions.create(**kwargs)
            except openai.BadRequestError as exc:
                if mode != "text" and self._format_rejected(exc, mode):
                    self._downgrade(mode)
                    continue
                raise _friendly_error(exc, self.settings) from exc
            except openai.OpenAIError as exc:
                raise _friendly_error(exc, self.settings) from exc
            if mode == "json_schema":
                self._schema_confirmed = True
            return self._reply(completion)

    @staticmethod
    def _reply(completion: Any) -> _Reply:
        usage = Usage()
        if completion.usage is not None:
            usage = Usage(completion.usage.prompt_tokens or 0, completion.usage.completion_tokens or 0)
        if not completion.choices:
            return _Reply("", None, usage)
        choice = completion.choices[0]
        if getattr(choice.message, "refusal", None):
            log.warning("llm_fault", extra={"fault": "refused"})
            raise LLMError("The language model declined to write this persona.")
        return _Reply(choice.message.content or "", choice.finish_reason, usage)
