"""Writes any registered follow-up kind for a persona: by the LLM when there is one, else (or when it fails) offline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cached_property
from string import Template
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from bot.config import Settings
from bot.errors import LLMError
from bot.figure_check import grounding_figures, without_unsupported_figures
from bot.followups.kind import FollowUpAsk
from bot.followups.registry import get_kind
from bot.languages import language
from bot.models import CatalogApp, Grounding, PersonaResult, WrittenAnswer
from bot.output_checks import followup_checker
from bot.postprocess import clean_text, quoted_data
from bot.prompt_echo import echoes_prompt
from bot.warehouse import Warehouse
from bot.writers import JsonCompleter
from prompts import FOLLOWUP_PROMPT_VERSION, load_template

if TYPE_CHECKING:
    from bot.service import PersonaService

log = logging.getLogger(__name__)

MAX_PRODUCT_CHARS = 200
SYSTEM_TEMPLATE = "followup_system.v1.txt"


class FollowUpDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str
    points: list[str]
    next_actions: list[str]


class FollowUpReport(WrittenAnswer):
    # A registered kind's id; checked where a kind comes in (the click, the modal), not on every cached copy.
    kind: str
    persona_id: str
    summary: str
    points: list[str] = Field(default_factory=list)
    next_actions: list[str] = Field(default_factory=list)
    model: str = "offline-writer"
    prompt_version: str = FOLLOWUP_PROMPT_VERSION
    product: str | None = None
    # Figures the model wrote that the persona does not back, still there after its repair: taken out.
    removed_figures: int = 0


def _lines(text: str) -> list[str]:
    return [line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t")]


# An offline composer marks its next actions with this, so they reach the "Next steps" part of the answer.
NEXT_ACTION_MARK = "→"


def offline_report(kind_id: str, persona_id: str, text: str, product: str | None) -> FollowUpReport:
    """An offline composer's text as a report: the first line the summary, "→" lines the next actions."""
    lines = _lines(text)
    actions = [line.lstrip(NEXT_ACTION_MARK).strip() for line in lines[1:] if line.startswith(NEXT_ACTION_MARK)]
    points = [line for line in lines[1:] if not line.startswith(NEXT_ACTION_MARK)]
    return FollowUpReport(kind=kind_id, persona_id=persona_id, summary=lines[0] if lines else "", points=points,
                          next_actions=actions, product=product)


class FollowUpService:
    def __init__(self, settings: Settings, warehouse: Warehouse, llm: JsonCompleter | None = None):
        self.settings = settings
        self.warehouse = warehouse
        # None writes every follow-up offline.
        self.llm = llm

    @classmethod
    def beside(cls, service: PersonaService) -> FollowUpService:
        """The follow-ups of `service`'s personas: its warehouse, and its model when it writes with one."""
        llm = service.writer if service.writer.kind == "llm" else None
        return cls(service.settings, service.warehouse, llm)

    def write_once(self, service: PersonaService, kind_id: str, result: PersonaResult, product: str | None = None,
                   *, user_id: str | None = None, team_id: str | None = None) -> FollowUpReport:
        """`write` through the service's cache, rate limits and single-flight: what Slack and the CLI both call.

        Only a kind that asks for a product is told one, so a stray one never splits the cache."""
        kind = get_kind(kind_id)
        product = product if kind.asks_for_product else None
        writes = service.writes
        return writes.followup(writes.followup_key(result, kind.id, product), FollowUpReport,
                               lambda: self.write(kind.id, result, product), user_id=user_id, team_id=team_id)

    @cached_property
    def _catalog(self) -> list[CatalogApp]:
        # Every competitor analysis scans the catalog; one warehouse query per process is enough.
        return self.warehouse.catalog()

    def _read_catalog(self) -> Sequence[CatalogApp]:
        return self._catalog

    def write(self, kind_id: str, result: PersonaResult, product: str | None = None) -> FollowUpReport:
        """The follow-up `kind_id` on `result`; raises `UnknownFollowUpKind` for an unregistered kind.

        A kind that asks for a product gets it cleaned and cut (`?` when blank, None when the product is optional);
        any other kind ignores it.
        """
        kind = get_kind(kind_id)
        product = clean_text(product or "")[:MAX_PRODUCT_CHARS] if kind.asks_for_product else None
        if kind.asks_for_product and not product:
            product = None if kind.product_optional else "?"
        ask = FollowUpAsk(kind=kind, result=result, product=product, catalog=self._read_catalog)
        base = offline_report(kind.id, result.id, kind.compose_offline(ask), product)
        if self.llm is None:
            return base
        return self._written_by_llm(self.llm, ask, kind.prompt(ask), base)

    @staticmethod
    def _written_by_llm(llm: JsonCompleter, ask: FollowUpAsk, prompt: str, base: FollowUpReport) -> FollowUpReport:
        result, product = ask.result, ask.product
        system = Template(load_template(SYSTEM_TEMPLATE)).substitute(language=language(ask.lang).model_name)
        # The model may quote the persona and the product, never its own instructions.
        quoted = quoted_data(Grounding(segment=result.segment, apps=result.apps))
        quoted += [*result.profile.model_dump().values(), *([product] if product else [])]
        try:
            draft, _usage = llm.complete_json(
                [{"role": "system", "content": system}, {"role": "user", "content": prompt}], FollowUpDraft,
                check=followup_checker(result, quoted),
            )
        except LLMError as exc:
            return base.model_copy(update={"note": str(exc)})
        except Exception:
            log.exception("followup_writer_crashed")
            return base.model_copy(update={"note": "The language model gave an unusable answer."})
        summary = clean_text(draft.summary)
        # The whole answer reaches the user: Slack splits it into blocks, nothing here cuts it.
        points = [clean_text(p) for p in draft.points if p.strip()]
        next_actions = [clean_text(a) for a in draft.next_actions if a.strip()]
        figures = grounding_figures(Grounding(segment=result.segment, apps=result.apps), result.demographics)
        removed = 0

        def backed(text: str) -> str:
            nonlocal removed
            kept, count = without_unsupported_figures(text, figures, quoted)
            removed += count
            return kept

        summary, points, next_actions = backed(summary), [backed(p) for p in points], [backed(a) for a in next_actions]
        if removed:
            log.warning("followup_figures_removed", extra={"removed_figures": removed, "kind": base.kind})
        echoing = {text for text in (summary, *points, *next_actions) if echoes_prompt(text, quoted)}
        if echoing:
            log.warning("followup_repaired",
                        extra={"repairs": {"prompt_echo_texts": len(echoing)}, "kind": base.kind})
            summary = base.summary if summary in echoing else summary
            points = [p for p in points if p not in echoing]
            next_actions = [a for a in next_actions if a not in echoing]
        return FollowUpReport(
            kind=base.kind,
            persona_id=result.id,
            summary=summary,
            points=points,
            next_actions=next_actions,
            writer="llm",
            model=llm.model_name,
            product=product,
            removed_figures=removed,
        )
