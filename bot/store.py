"""What the Slack app remembers between clicks: personas by id, recent personas per user, preferences, feedback.

Buttons carry only a persona id; the persona itself lives here so a click works on any replica and after a restart
once the store is shared (Redis). `MemoryStore` is the embedded default for a single process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from bot.chat import Turn
from bot.config import Lang
from bot.localized import segment_name
from bot.models import PersonaResult

RECENT_PER_USER = 10
# Turns kept per thread; what is sent to the model is bounded again, in tokens (bot.chat.bounded_history).
TURNS_PER_THREAD = 10


class PersonaRequest(BaseModel):
    """How a persona was asked for, so Regenerate and Retry can ask again."""

    kind: Literal["segment", "apps"]
    query: str
    lang: Lang
    # The requester's workspace: LLM generations are rate limited per workspace as well as per user.
    team_id: str | None = None


class StoredPersona(BaseModel):
    result: PersonaResult
    request: PersonaRequest
    user_id: str | None = None


class RecentPersona(BaseModel):
    persona_id: str
    title: str
    lang: Lang
    created_at: datetime


class ThreadChat(BaseModel):
    """A conversation thread that holds a card: which persona its questions are about, and the turns so far."""

    persona_id: str
    turns: list[Turn] = Field(default_factory=list)


class Feedback(BaseModel):
    persona_id: str
    user_id: str
    vote: Literal["up", "down"]
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class PersonaStore(Protocol):
    def put(self, stored: StoredPersona) -> None: ...
    def get(self, persona_id: str) -> StoredPersona | None: ...
    def recent(self, user_id: str) -> list[RecentPersona]: ...
    def set_lang(self, user_id: str, lang: Lang) -> None: ...
    def get_lang(self, user_id: str) -> Lang | None: ...
    def add_feedback(self, feedback: Feedback) -> None: ...
    def feedback(self, persona_id: str) -> list[Feedback]: ...
    # Workspaces whose Slack refused a chart block (`invalid_blocks`): their cards are sent without charts.
    def refuse_charts(self, team_id: str) -> None: ...
    def charts_refused(self, team_id: str) -> bool: ...
    # The persona a thread's questions are about (its latest card) and the conversation so far.
    def put_thread(self, channel: str, thread_ts: str, chat: ThreadChat) -> None: ...
    def get_thread(self, channel: str, thread_ts: str) -> ThreadChat | None: ...


def persona_title(stored: StoredPersona) -> str:
    segment = stored.result.segment
    if segment is not None:
        return segment_name(segment, stored.request.lang)
    names = [a.name for a in stored.result.apps[:3]]
    return ", ".join(names) + ("…" if len(stored.result.apps) > 3 else "")


class MemoryStore:
    """In-process store, bounded so a long-running bot cannot grow without limit."""

    def __init__(self, max_personas: int = 2000):
        self._lock = threading.Lock()
        self._personas: OrderedDict[str, StoredPersona] = OrderedDict()
        self._recent: dict[str, deque[RecentPersona]] = {}
        self._langs: dict[str, Lang] = {}
        self._feedback: dict[str, list[Feedback]] = {}
        self._no_charts: set[str] = set()
        self._threads: OrderedDict[tuple[str, str], ThreadChat] = OrderedDict()
        self._max = max_personas

    def put(self, stored: StoredPersona) -> None:
        with self._lock:
            self._personas[stored.result.id] = stored
            self._personas.move_to_end(stored.result.id)
            while len(self._personas) > self._max:
                self._personas.popitem(last=False)
            if stored.user_id:
                recent = self._recent.setdefault(stored.user_id, deque(maxlen=RECENT_PER_USER))
                recent.appendleft(
                    RecentPersona(
                        persona_id=stored.result.id,
                        title=persona_title(stored),
                        lang=stored.request.lang,
                        created_at=stored.result.meta.generated_at,
                    )
                )

    def get(self, persona_id: str) -> StoredPersona | None:
        with self._lock:
            return self._personas.get(persona_id)

    def recent(self, user_id: str) -> list[RecentPersona]:
        with self._lock:
            return list(self._recent.get(user_id, ()))

    def set_lang(self, user_id: str, lang: Lang) -> None:
        with self._lock:
            self._langs[user_id] = lang

    def get_lang(self, user_id: str) -> Lang | None:
        with self._lock:
            return self._langs.get(user_id)

    def add_feedback(self, feedback: Feedback) -> None:
        with self._lock:
            self._feedback.setdefault(feedback.persona_id, []).append(feedback)

    def feedback(self, persona_id: str) -> list[Feedback]:
        with self._lock:
            return list(self._feedback.get(persona_id, ()))

    def refuse_charts(self, team_id: str) -> None:
        with self._lock:
            self._no_charts.add(team_id)

    def charts_refused(self, team_id: str) -> bool:
        with self._lock:
            return team_id in self._no_charts

    def put_thread(self, channel: str, thread_ts: str, chat: ThreadChat) -> None:
        with self._lock:
            self._threads[(channel, thread_ts)] = chat.model_copy(update={"turns": chat.turns[-TURNS_PER_THREAD:]})
            self._threads.move_to_end((channel, thread_ts))
            while len(self._threads) > self._max:
                self._threads.popitem(last=False)

    def get_thread(self, channel: str, thread_ts: str) -> ThreadChat | None:
        with self._lock:
            return self._threads.get((channel, thread_ts))
