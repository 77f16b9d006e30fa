"""The writer interface: turns a `WriterRequest` into words. Two implementations: the LLM and the offline writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.models import PersonaDraft, WriterRequest


@dataclass(frozen=True)
class WriterResult:
    draft: PersonaDraft
    # Token usage as the API reported it; zero for the offline writer.
    prompt_tokens: int = 0
    completion_tokens: int = 0


class PersonaWriter(Protocol):
    # Shown in the card footer and part of the cache key.
    model_name: str
    kind: str  # "llm" | "offline"

    def write(self, request: WriterRequest) -> WriterResult: ...
