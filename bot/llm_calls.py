"""One chat completion against any OpenAI-compatible server, within a deadline, adapting to what it accepts.

The SDK's own retries are off (`max_retries=0`): they cannot see a deadline, and they would retry a 500 that
only says "this response_format is not supported" twice before the writer could step down. Here a retry starts
only when the remaining time still covers the wait and the fastest answer seen so far; a refusal that teaches
something (see `bot.llm_compat`) is retried at once with the adapted request.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import openai

from bot.config import Settings
from bot.errors import LLMError
from bot.llm_compat import FormatMode, ServerProfile, error_fields, server_from_models

log = logging.getLogger("bot.llm")

# Without an answer seen yet, a retry needs at least this share of the timeout (and at most a second) to be worth
# starting.
_MIN_ATTEMPT_SHARE = 0.1
_MAX_BACKOFF = 8.0
# Refusals that teach something are retried at once; a bound in case a server keeps changing its mind.
_MAX_ADAPTATIONS = 4
# The /v1/models probe may take at most this much of a first request's time.
_PROBE_SHARE = 0.25
_PROBE_MAX = 3.0


class Deadline:
    """A point in time that bounds a whole generation: every call, wait, retry and repair within it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0


@dataclass(frozen=True)
class Completion:
    completion: Any
    mode: FormatMode


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


def friendly_error(exc: openai.OpenAIError, settings: Settings, attempts: int) -> LLMError:
    kind = fault_kind(exc)
    fields = error_fields(exc) if isinstance(exc, openai.APIStatusError) else {"status": None}
    # The exception's own message can quote the request or the key; only its type, status, code and param are
    # logged.
    log.warning(
        "llm_fault",
        extra={
            "fault": kind,
            **fields,
            "attempts": attempts,
            "error": type(exc).__name__,
            "llm_request_id": getattr(exc, "request_id", None),
            "model": settings.llm_model,
        },
    )
    status = fields["status"]
    values: dict[str, dict[str, object]] = {
        "timeout": {"seconds": f"{settings.llm_timeout:g}"},
        "not_found": {"model": repr(settings.llm_model)},
        "server_error": {"status": status},
        "http_status": {"status": status},
    }
    # A 4xx the writer has no other word for is said as a server failure, with its status.
    return LLMError("server_error" if kind == "http_status" else kind, **values.get(kind, {}))


def out_of_time(settings: Settings, attempts: int) -> LLMError:
    log.warning("llm_fault", extra={"fault": "timeout", "status": None, "attempts": attempts,
                                    "model": settings.llm_model})
    return LLMError("timeout", seconds=f"{settings.llm_timeout:g}")


def _retry_after(exc: openai.OpenAIError) -> float | None:
    response = getattr(exc, "response", None)
    headers: Mapping[str, str] = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue  # an HTTP date: fall back to the usual back-off
    return None


def _retryable(exc: openai.OpenAIError) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def _log_error_answer(exc: openai.APIStatusError, attempt: int, model: str) -> None:
    retry_after = None
    response = getattr(exc, "response", None)
    if response is not None:
        retry_after = response.headers.get("retry-after") or response.headers.get("retry-after-ms")
    log.warning("llm_http_error", extra={**error_fields(exc), "attempt": attempt, "retry_after": retry_after,
                                         "model": model})


class ChatCaller:
    """Makes chat completions for one writer: learning, retries and the deadline in one place."""

    def __init__(self, client: openai.OpenAI, settings: Settings, profile: ServerProfile):
        # The SDK must not retry on its own: see the module docstring.
        self._client = client.with_options(max_retries=0)
        self.settings = settings
        self.profile = profile

    def _probe(self, deadline: Deadline) -> None:
        """Recognise the server from its /v1/models answer, once per profile (PERSONA_LLM_SERVER=auto)."""
        timeout = min(_PROBE_MAX, deadline.remaining() * _PROBE_SHARE)
        kind = "unknown"
        if timeout > 0:
            try:
                answer = self._client.models.with_raw_response.list(timeout=timeout)
                kind = server_from_models(answer.http_response.json())
            except (openai.OpenAIError, ValueError) as exc:
                # Not every server lists models; the first completion's answer can still tell.
                log.info("llm_models_probe_failed", extra={"error": type(exc).__name__, "model": self.profile.model})
        self.profile.settle(kind, "models")

    def _can_retry(self, deadline: Deadline, wait: float) -> bool:
        # The fastest answer seen is the least a retry needs; before any, a tenth of the timeout (at most 1 s).
        needed = self.profile.fastest or min(1.0, self.settings.llm_timeout * _MIN_ATTEMPT_SHARE)
        return deadline.remaining() - wait >= needed

    def _backoff(self, exc: openai.OpenAIError, retry: int) -> float:
        told = _retry_after(exc)
        if told is not None:
            return told
        return min(_MAX_BACKOFF, 0.5 * 2**retry) * random.uniform(0.75, 1.0)

    def create(self, request: Mapping[str, Any], formats: Mapping[FormatMode, dict[str, Any] | None],
               deadline: Deadline) -> Completion:
        """One completion of `request` (messages, model) in the best format this server takes.

        `formats` maps each mode to its response_format (None sends none). Raises `LLMError` when the server
        fails for good or the deadline passes.
        """
        if not self.profile.settled:
            self._probe(deadline)
        settings = self.settings
        attempts = retries = adaptations = 0
        while True:
            mode, options = self.profile.request_options(
                max_tokens=settings.llm_max_tokens,
                temperature=settings.llm_temperature,
                reasoning_effort=settings.llm_reasoning_effort,
            )
            kwargs: dict[str, Any] = {**request, **options}
            response_format = formats[mode]
            if response_format is not None:
                # Through extra_body: llama.cpp's {"type": "json_object", "schema": …} is not in the SDK's types.
                kwargs["extra_body"] = {"response_format": response_format}
            # The SDK's own header for the attempt number, which servers and proxies read: retries are made here.
            kwargs["extra_headers"] = {"x-stainless-retry-count": str(retries)}
            remaining = deadline.remaining()
            if remaining <= 0:
                raise out_of_time(settings, attempts)
            attempts += 1
            started = time.monotonic()
            try:
                completion = self._client.chat.completions.create(**kwargs, timeout=remaining)
            except openai.APIStatusError as exc:
                _log_error_answer(exc, attempts, settings.llm_model)
                sent = {**options, **({"response_format": response_format} if response_format else {})}
                learned = self.profile.learn(exc, sent, mode) or self.profile.changed_since(mode, options)
                if learned and adaptations < _MAX_ADAPTATIONS:
                    adaptations += 1
                    continue
                if not self._retry(exc, retries, deadline):
                    raise friendly_error(exc, settings, attempts) from exc
                retries += 1
                continue
            except openai.APIConnectionError as exc:
                if isinstance(exc, openai.APITimeoutError) and deadline.expired():
                    raise out_of_time(settings, attempts) from exc
                if not self._retry(exc, retries, deadline):
                    raise friendly_error(exc, settings, attempts) from exc
                retries += 1
                continue
            except openai.OpenAIError as exc:
                raise friendly_error(exc, settings, attempts) from exc
            self.profile.record_success(mode, time.monotonic() - started, completion)
            return Completion(completion, mode)

    def stream(self, request: Mapping[str, Any], deadline: Deadline) -> Iterator[str]:
        """The text of one streamed completion of `request` (messages, model), piece by piece as it arrives.

        Plain text, no response format: what is streamed is shown as it comes. No retry once text has flowed
        (the reader has seen it); raises `LLMError` when the server fails or the deadline passes.
        """
        _mode, options = self.profile.request_options(
            max_tokens=self.settings.llm_max_tokens,
            temperature=self.settings.llm_temperature,
            reasoning_effort=self.settings.llm_reasoning_effort,
        )
        remaining = deadline.remaining()
        if remaining <= 0:
            raise out_of_time(self.settings, 0)
        try:
            chunks = self._client.chat.completions.create(**request, **options, stream=True, timeout=remaining)
            for chunk in chunks:
                if deadline.expired():
                    chunks.close()
                    raise out_of_time(self.settings, 1)
                for choice in chunk.choices or []:
                    piece = getattr(choice.delta, "content", None)
                    if piece:
                        yield piece
        except openai.APIStatusError as exc:
            _log_error_answer(exc, 1, self.settings.llm_model)
            raise friendly_error(exc, self.settings, 1) from exc
        except openai.OpenAIError as exc:
            raise friendly_error(exc, self.settings, 1) from exc

    def _retry(self, exc: openai.OpenAIError, retries: int, deadline: Deadline) -> bool:
        """Waits and says yes when `exc` is worth another attempt that can still finish in time."""
        if not _retryable(exc) or retries >= self.settings.llm_max_retries:
            return False
        wait = self._backoff(exc, retries)
        if not self._can_retry(deadline, wait):
            log.info("llm_retry_skipped", extra={"reason": "deadline", "wait": round(wait, 3),
                                                 "remaining": round(deadline.remaining(), 3)})
            return False
        time.sleep(wait)
        return True
