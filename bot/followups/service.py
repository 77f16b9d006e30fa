"""Writes any registered follow-up kind for a persona: by the LLM when there is one, else (or when it fails) offline."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from string import Template
from typing import TYPE_CHECKING, cast

from pydantic import Field

from bot.config import Lang, Settings
from bot.errors import LLMError, llm_note
from bot.figure_check import grounding_figures, without_unsupported_figures
from bot.followups.draft import FollowUpDraft, draft_from_text
from bot.followups.kind import FollowUpAsk
from bot.followups.registry import get_kind
from bot.i18n import t
from bot.languages import language
from bot.models import CatalogApp, Grounding, PersonaResult, WrittenAnswer
from bot.output_checks import CheckFailed, codes, followup_checker
from bot.postprocess import clean_text, quoted_data
from bot.prompt_echo import echoes_prompt
from bot.warehouse import Warehouse
from bot.writers import JsonCompleter, TextStreamer, streams_text
from prompts import FOLLOWUP_PROMPT_VERSION, load_template

if TYPE_CHECKING:
    from bot.service import PersonaService

log = logging.getLogger(__name__)

MAX_PRODUCT_CHARS = 200
SYSTEM_TEMPLATE = "followup_system.v2.txt"
# How the answer is asked for: JSON, or plain text in a fixed layout that can be shown as it arrives.
ANSWER_JSON = "followup_answer_json.v1.txt"
ANSWER_TEXT = "followup_answer_text.v1.txt"


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


def asked_product(kind_id: str, product: str | None) -> str | None:
    """The product as the kind `kind_id` is asked about it: cleaned and cut, `?` when blank, None when the kind
    asks for none (or it is optional and blank)."""
    kind = get_kind(kind_id)
    if not kind.asks_for_product:
        return None
    cleaned = clean_text(product or "")[:MAX_PRODUCT_CHARS]
    return cleaned or (None if kind.product_optional else "?")


def _failed(base: FollowUpReport, exc: Exception, lang: Lang) -> FollowUpReport:
    """The offline report, saying in the reader's language why the model's is not there (a bug is logged)."""
    if not isinstance(exc, LLMError):
        log.exception("followup_writer_crashed", exc_info=exc)
    return base.model_copy(update={"note": llm_note(exc, lang)})


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

    @property
    def streams(self) -> bool:
        """Whether follow-ups can be shown as the model writes them (`stream`)."""
        return streams_text(self.llm)

    def write_once(self, service: PersonaService, kind_id: str, result: PersonaResult, product: str | None = None,
                   *, user_id: str | None = None, team_id: str | None = None,
                   on_text: Callable[[str], None] | None = None) -> FollowUpReport:
        """`write` through the service's cache, rate limits and single-flight: what Slack and the CLI both call.

        Only a kind that asks for a product is told one, so a stray one never splits the cache. With `on_text` and
        a model that streams, the one request that writes streams its text through `on_text` (`stream`); a cached
        report, or one another request is writing, comes back whole without a call to `on_text`.
        """
        kind = get_kind(kind_id)
        product = product if kind.asks_for_product else None
        writes = service.writes

        def compute() -> FollowUpReport:
            if on_text is not None and self.streams:
                return self.stream(kind.id, result, product, on_text)
            return self.write(kind.id, result, product)

        return writes.followup(writes.followup_key(result, kind.id, product), FollowUpReport, compute,
                               user_id=user_id, team_id=team_id)

    @cached_property
    def _catalog(self) -> list[CatalogApp]:
        # Every competitor analysis scans the catalog; one warehouse query per process is enough.
        return self.warehouse.catalog()

    def _read_catalog(self) -> Sequence[CatalogApp]:
        return self._catalog

    def _ask(self, kind_id: str, result: PersonaResult, product: str | None) -> tuple[FollowUpAsk, FollowUpReport]:
        """What the kind is asked, and its offline report (the answer whenever the model's cannot be used).

        A kind that asks for a product gets it cleaned and cut (`?` when blank, None when the product is optional);
        any other kind ignores it. Raises `UnknownFollowUpKind` for an unregistered kind.
        """
        kind = get_kind(kind_id)
        product = asked_product(kind_id, product)
        ask = FollowUpAsk(kind=kind, result=result, product=product, catalog=self._read_catalog)
        return ask, offline_report(kind.id, result.id, kind.compose_offline(ask), product)

    def write(self, kind_id: str, result: PersonaResult, product: str | None = None) -> FollowUpReport:
        """The follow-up `kind_id` on `result`, written by the model as JSON when there is one, else offline."""
        ask, base = self._ask(kind_id, result, product)
        if self.llm is None:
            return base
        quoted = _quoted(ask)
        try:
            draft, _usage = self.llm.complete_json(_messages(ask, ANSWER_JSON), FollowUpDraft,
                                                   check=followup_checker(ask.result, quoted))
        except Exception as exc:
            return _failed(base, exc, ask.lang)
        return _finished(draft, ask, base, quoted, self.llm.model_name)

    def stream(self, kind_id: str, result: PersonaResult, product: str | None,
               on_text: Callable[[str], None]) -> FollowUpReport:
        """The follow-up written as text, streamed through `on_text` as it arrives, then checked as a whole.

        The text is read back into its parts (`draft_from_text`) and goes through exactly the checks and the
        post-processing of a JSON answer, without the repair a reader who has seen the text could not follow:
        failing a check that post-processing cannot mend (language, empty lists, a copied example) gives the
        offline report with a note, and then, as when post-processing took a figure or an echo out, the returned
        report differs from what was streamed and the caller replaces what it showed. Without a model that
        streams, this is `write`.
        """
        if not self.streams:
            return self.write(kind_id, result, product)
        ask, base = self._ask(kind_id, result, product)
        streamer = cast(TextStreamer, self.llm)
        pieces: list[str] = []
        try:
            for piece in streamer.stream_text(_messages(ask, ANSWER_TEXT)):
                pieces.append(piece)
                on_text(piece)
        except Exception as exc:
            return _failed(base, exc, ask.lang)
        replaced = base.model_copy(update={"note": t("chat.replaced", ask.lang)})
        quoted = _quoted(ask)
        draft = draft_from_text("".join(pieces))
        try:
            followup_checker(ask.result, quoted)(draft)
        except CheckFailed as failed:
            if failed.usable is None:
                log.warning("followup_stream_replaced", extra={"kind": base.kind, "checks": codes(failed.problems)})
                return replaced
        report = _finished(draft, ask, base, quoted, streamer.model_name)
        if not report.points:
            # Every point echoed the instructions: nothing of the model's answer is left to show.
            log.warning("followup_stream_replaced", extra={"kind": base.kind, "checks": ["prompt_echo"]})
            return replaced
        return report


def streamed_as_is(report: FollowUpReport, text: str) -> bool:
    """Whether `report` says what the streamed `text` said, so the message that showed it may stay as it is."""
    if report.writer != "llm":
        return False
    draft = draft_from_text(text)
    return (report.summary, report.points, report.next_actions) == (
        clean_text(draft.summary), [clean_text(p) for p in draft.points if p.strip()],
        [clean_text(a) for a in draft.next_actions if a.strip()])


def _messages(ask: FollowUpAsk, answer_format: str) -> list[dict[str, str]]:
    """The shared system prompt asking for the answer in `answer_format`, then the kind's own prompt."""
    system = Template(load_template(SYSTEM_TEMPLATE)).substitute(
        language=language(ask.lang).model_name, answer_format=load_template(answer_format).strip())
    return [{"role": "system", "content": system}, {"role": "user", "content": ask.kind.prompt(ask)}]


def _quoted(ask: FollowUpAsk) -> list[str]:
    """What the answer may quote without echoing the prompt: the persona and the product, never the instructions."""
    result = ask.result
    quoted = quoted_data(Grounding(segment=result.segment, apps=result.apps))
    return [*quoted, *result.profile.model_dump().values(), *([ask.product] if ask.product else [])]


def _finished(draft: FollowUpDraft, ask: FollowUpAsk, base: FollowUpReport, quoted: list[str],
              model: str) -> FollowUpReport:
    """A checked draft as the report: cleaned, figures the persona does not back taken out, echoes dropped."""
    result, product = ask.result, ask.product
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
        model=model,
        product=product,
        removed_figures=removed,
    )
