"""The writer interface: turns a `WriterRequest` into words. Two implementations: the LLM and the offline writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pydantic import BaseModel

from bot.models import PersonaDraft, WriterRequest


@dataclass(frozen=True)
class WriterResult:
    draft: PersonaDraft
    # Token usage as the API reported it; zero for the offline writer.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Figures the model still wrote after its repair without the data backing them, taken out of the prose.
    removed_figures: int = 0


class PersonaWriter(Protocol):
    # Shown in the card footer and part of the cache key.
    model_name: str
    kind: str  # "llm" | "offline"

    def write(self, request: WriterRequest) -> WriterResult: ...


M = TypeVar("M", bound=BaseModel)


class JsonCompleter(Protocol):
    """A writer that also answers free-form JSON requests (follow-ups); the LLM writer is one, offline is not."""

    model_name: str

    def complete_json(
        self, messages: Sequence[Mapping[str, str]], model: type[M], *, check: Callable[[M], M] | None = None
    ) -> tuple[M, object]:
        """A `model` parsed from the reply to `messages`, and the token usage; raises `LLMError` when it cannot.

        `check` sees the parsed answer and raises to ask for one repair (see bot/output_checks.py)."""
        ...


class TextStreamer(Protocol):
    """A writer that can stream a free-text answer (chat answers); the LLM writer is one."""

    model_name: str

    def stream_text(self, messages: Sequence[Mapping[str, str]]) -> Iterator[str]:
        """The answer's text piece by piece; raises `LLMError` when the server fails or time runs out."""
        ...


def streams_text(writer: object) -> bool:
    """Whether `writer` can stream a free-text answer (a `TextStreamer`): the LLM writer can, offline cannot."""
    return callable(getattr(writer, "stream_text", None))
