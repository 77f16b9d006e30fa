"""The persona writer backed by any OpenAI-compatible chat completions server.

One persona is one deadline (`PERSONA_LLM_TIMEOUT`): the call, any retry and the one repair all fit in it. What
the server accepts is learned in `bot.llm_compat`, the calls are made in `bot.llm_calls`, and what comes back is
checked in `bot.output_checks` before anyone sees it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from pydantic import BaseModel, ValidationError

from bot.config import Settings
from bot.errors import LLMError
from bot.llm_calls import ChatCaller, Deadline, fault_kind
from bot.llm_compat import PROFILES, FormatMode, ProfileStore, grammar_schema
from bot.models import PersonaDraft, WriterRequest
from bot.output_checks import CheckFailed, check_persona, codes, describe, without_unsupported_persona_figures
from bot.prompting import (
    draft_json_schema,
    render_persona_messages,
    render_repair_message,
    strict_json_schema,
)
from bot.writers import WriterResult
from prompts import PERSONA_PROMPT_VERSION

__all__ = ["InvalidReply", "OpenAIWriter", "Usage", "check_draft", "extract_json_text", "fault_kind", "parse_reply"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
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
    """A reply that is not the JSON asked for, or fails a check; its message goes back to the model for the repair.

    `codes` name the failed checks for logs and the card's note ("schema" when the JSON itself is wrong).
    """

    def __init__(self, message: str, codes: Sequence[str] = ("schema",), usable: Any = None):
        super().__init__(message)
        self.codes = list(codes)
        # Set when the reply may still be used if the repair does no better (see output_checks.SOFT_CODES).
        self.usable = usable

    @classmethod
    def from_failure(cls, failure: CheckFailed) -> InvalidReply:
        return cls(describe(failure.problems), codes(failure.problems), failure.usable)


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
    """Request-specific rules the schema alone cannot carry in JSON mode, then the checks on the prose."""
    draft = _check_estimate(draft, request)
    problems = check_persona(draft, request)
    if problems:
        raise InvalidReply.from_failure(CheckFailed(problems, usable=draft))
    return draft


def _check_estimate(draft: PersonaDraft, request: WriterRequest) -> PersonaDraft:
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


class OpenAIWriter:
    """One chat completion per persona; a second call only to repair an unusable reply, within one deadline."""

    kind = "llm"
    prompt_version = PERSONA_PROMPT_VERSION

    def __init__(self, settings: Settings, client: openai.OpenAI | None = None, profiles: ProfileStore = PROFILES):
        self.settings = settings
        self.model_name = settings.llm_model
        if client is None:
            if not settings.llm_enabled or settings.openai_api_key is None:
                raise LLMError("no_key")
            client = openai.OpenAI(
                api_key=settings.openai_api_key.get_secret_value(),
                base_url=settings.openai_base_url,
                timeout=settings.llm_timeout,
                max_retries=0,
            )
        # What the server accepts is learned per (base URL, model) and shared by every writer in the process.
        profile = profiles.get(str(client.base_url), settings.llm_model, settings.llm_server)
        self._calls = ChatCaller(client, settings, profile)

    @property
    def format_mode(self) -> FormatMode:
        return self._calls.profile.mode

    @property
    def server(self) -> str:
        return self._calls.profile.server

    def write(self, request: WriterRequest) -> WriterResult:
        draft, usage = self.complete_json(
            render_persona_messages(request),
            PersonaDraft,
            schema=draft_json_schema(request),
            check=lambda d: check_draft(d, request),
        )
        # A reply kept after its repair may still hold figures the data does not back: they go, and are counted.
        draft, removed = without_unsupported_persona_figures(draft, request)
        if removed:
            log.warning("llm_figures_removed", extra={"removed_figures": removed, "model": self.model_name})
        return WriterResult(draft=draft, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                            removed_figures=removed)

    def complete_json(
        self,
        messages: Sequence[Mapping[str, str]],
        model: type[M],
        *,
        schema: dict[str, Any] | None = None,
        check: Callable[[M], M] | None = None,
        deadline: Deadline | None = None,
    ) -> tuple[M, Usage]:
        """Ask for a JSON object matching `model`; one repair attempt if the reply is unusable.

        `check` may adjust the parsed object or raise `InvalidReply` (a `ValueError`) to trigger the repair.
        Everything, the repair included, happens within `deadline` (a new one of PERSONA_LLM_TIMEOUT if none).
        Raises `LLMError` when the server fails, time runs out or both replies are unusable.
        """
        deadline = deadline or Deadline(self.settings.llm_timeout)
        conversation = [dict(message) for message in messages]
        if schema is None:
            schema = strict_json_schema(model)
        reply = self._create(conversation, model.__name__, schema, deadline)
        usage = reply.usage
        try:
            return self._accept(reply, model, check), usage
        except InvalidReply as first:
            fallback = first.usable
            log.warning(
                "llm_reply_unusable",
                extra={
                    "attempt": 1,
                    "checks": first.codes,
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
        repaired = self._create(conversation, model.__name__, schema, deadline)
        usage += repaired.usage
        try:
            accepted = self._accept(repaired, model, check)
        except InvalidReply as second:
            usable = second.usable if second.usable is not None else fallback
            if usable is not None:
                # Only echoes or unbacked figures are left: post-processing replaces the echoing fields and the
                # writer takes the figures out; the rest is the model's.
                log.warning("llm_reply_used_with_echoes", extra={"checks": second.codes, "model": self.model_name})
                return usable, usage
            log.warning(
                "llm_fault",
                extra={
                    "fault": "unusable",
                    "checks": second.codes,
                    "attempt": 2,
                    "problems": str(second).count("\n") + 1,
                    "finish_reason": repaired.finish_reason,
                    "model": self.model_name,
                },
            )
            raise LLMError("unusable", checks=list(second.codes)) from second
        log.warning("llm_reply_repaired", extra={"attempt": 2, "model": self.model_name})
        return accepted, usage

    def stream_text(self, messages: Sequence[Mapping[str, str]], *, deadline: Deadline | None = None) -> Iterator[str]:
        """A free-text answer to `messages`, piece by piece as the server streams it (within one deadline).

        The caller checks the finished text (bot/output_checks.py) and replaces what it showed if it fails.
        """
        request = {"model": self.settings.llm_model, "messages": [dict(m) for m in messages]}
        yield from self._calls.stream(request, deadline or Deadline(self.settings.llm_timeout))

    @staticmethod
    def _accept(reply: _Reply, model: type[M], check: Callable[[M], M] | None) -> M:
        parsed = parse_reply(reply.content, model, reply.finish_reason)
        if check is None:
            return parsed
        try:
            return check(parsed)
        except InvalidReply:
            raise
        except CheckFailed as exc:
            raise InvalidReply.from_failure(exc) from exc
        except ValueError as exc:
            raise InvalidReply(f"- {exc}") from exc

    @staticmethod
    def _formats(name: str, schema: dict[str, Any]) -> dict[FormatMode, dict[str, Any] | None]:
        return {
            "json_schema": {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}},
            # llama.cpp turns the schema into a grammar: the reply cannot leave it, nor run past its bounds.
            "json_object_schema": {"type": "json_object", "schema": grammar_schema(schema)},
            "json_object": {"type": "json_object"},
            "text": None,
        }

    def _create(self, messages: list[dict[str, str]], name: str, schema: dict[str, Any], deadline: Deadline) -> _Reply:
        request = {"model": self.settings.llm_model, "messages": messages}
        done = self._calls.create(request, self._formats(name, schema), deadline)
        return self._reply(done.completion)

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
            raise LLMError("declined")
        return _Reply(choice.message.content or "", choice.finish_reason, usage)
