"""Follow-up analyses of a persona: partnership ideas and a competitor analysis, by the LLM or offline."""

from __future__ import annotations

import logging
from functools import cached_property
from string import Template
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.config import Settings
from bot.errors import LLMError
from bot.models import CatalogApp, Grounding, PersonaResult, WriterRequest
from bot.offline_writer import competitor_analysis, partnership_ideas
from bot.output_checks import followup_checker
from bot.postprocess import clean_text, quoted_data
from bot.prompt_echo import echoes_prompt
from bot.prompting import data_json
from bot.warehouse import Warehouse
from prompts import FOLLOWUP_PROMPT_VERSION, load_template

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "zh-TW": "Traditional Chinese (Taiwan)", "zh-CN": "Simplified Chinese"}
MAX_PRODUCT_CHARS = 200
COMPETITORS_PER_CATEGORY = 8
MAX_CATEGORIES = 5


class FollowUpDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str
    points: list[str]
    next_actions: list[str]


class FollowUpReport(BaseModel):
    kind: Literal["partnership", "competitor"]
    persona_id: str
    summary: str
    points: list[str] = Field(default_factory=list)
    next_actions: list[str] = Field(default_factory=list)
    writer: Literal["llm", "offline"] = "offline"
    model: str = "offline-writer"
    prompt_version: str = FOLLOWUP_PROMPT_VERSION
    product: str | None = None
    note: str | None = None
    cached: bool = False


def _writer_request(result: PersonaResult) -> WriterRequest:
    grounding = Grounding(segment=result.segment, apps=result.apps)
    return WriterRequest(grounding=grounding, demographics=result.demographics, lang=result.meta.lang)


def _persona_data(result: PersonaResult) -> str:
    return data_json(
        {
            "segment": result.segment.name if result.segment else None,
            "apps": [{"name": a.name, "category": a.category, "score": a.score} for a in result.apps],
            "profile": result.profile.model_dump(),
            "hashtags": result.hashtags.model_dump(),
        }
    )


def _lines(text: str) -> list[str]:
    return [line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t")]


class FollowUpService:
    def __init__(self, settings: Settings, warehouse: Warehouse, llm: object | None = None):
        self.settings = settings
        self.warehouse = warehouse
        # An OpenAIWriter (anything with complete_json), or None for the offline writer only.
        self.llm = llm

    @cached_property
    def _catalog(self) -> list[CatalogApp]:
        # Every competitor analysis scans the catalog; one warehouse query per process is enough.
        return self.warehouse.catalog()

    def competing_apps(self, result: PersonaResult) -> dict[str, list[str]]:
        """Catalog apps in the same categories as the persona's apps, strongest categories first."""
        weight: dict[str, float] = {}
        for app in result.apps:
            if app.category:
                weight[app.category] = weight.get(app.category, 0.0) + (app.score or app.weight or 0.0)
        top = sorted(weight, key=lambda c: -weight[c])[:MAX_CATEGORIES]
        by_category: dict[str, list[str]] = {c: [] for c in top}
        for app in self._catalog:
            names = by_category.get(app.category)
            if names is not None and len(names) < COMPETITORS_PER_CATEGORY:
                names.append(app.name)
        return by_category

    def partnership(self, result: PersonaResult) -> FollowUpReport:
        request = _writer_request(result)
        prompt = Template(load_template("partnership.v1.txt")).substitute(data=_persona_data(result))
        offline = _lines(partnership_ideas(request))
        return self._run("partnership", result, prompt, offline)

    def competitors(self, result: PersonaResult, product: str) -> FollowUpReport:
        product = clean_text(product)[:MAX_PRODUCT_CHARS] or "?"
        competing = self.competing_apps(result)
        names = [n for group in competing.values() for n in group]
        request = _writer_request(result)
        prompt = Template(load_template("competitor.v1.txt")).substitute(
            product=data_json(product), competitors=data_json(competing), data=_persona_data(result)
        )
        offline = _lines(competitor_analysis(request, product, names))
        return self._run("competitor", result, prompt, offline, product=product)

    def _run(self, kind: Literal["partnership", "competitor"], result: PersonaResult, prompt: str,
             offline: list[str], product: str | None = None) -> FollowUpReport:
        base = FollowUpReport(
            kind=kind, persona_id=result.id, summary=offline[0] if offline else "", points=offline[1:],
            product=product,
        )
        complete = getattr(self.llm, "complete_json", None)
        if complete is None:
            return base
        system = Template(load_template("followup_system.v1.txt")).substitute(
            language=LANGUAGE_NAMES.get(result.meta.lang, "English")
        )
        # The model may quote the persona and the product, never its own instructions.
        quoted = quoted_data(Grounding(segment=result.segment, apps=result.apps))
        quoted += [*result.profile.model_dump().values(), *([product] if product else [])]
        try:
            draft, _usage = complete([{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                                     FollowUpDraft, check=followup_checker(result, quoted))
        except LLMError as exc:
            return base.model_copy(update={"note": str(exc)})
        except Exception:
            log.exception("followup_writer_crashed")
            return base.model_copy(update={"note": "The language model gave an unusable answer."})
        summary = clean_text(draft.summary)
        points = [clean_text(p) for p in draft.points[:6] if p.strip()]
        next_actions = [clean_text(a) for a in draft.next_actions[:4] if a.strip()]
        echoing = {text for text in (summary, *points, *next_actions) if echoes_prompt(text, quoted)}
        if echoing:
            log.warning("followup_repaired", extra={"repairs": {"prompt_echo_texts": len(echoing)}, "kind": kind})
            summary = base.summary if summary in echoing else summary
            points = [p for p in points if p not in echoing]
            next_actions = [a for a in next_actions if a not in echoing]
        return FollowUpReport(
            kind=kind,
            persona_id=result.id,
            summary=summary,
            points=points,
            next_actions=next_actions,
            writer="llm",
            model=str(getattr(self.llm, "model_name", "llm")),
            product=product,
        )
