"""The persona pipeline: find or ground → prepare → write once. Slack, the CLI and the tests all call `run`.

`run` hands the data part (`prepare`: grounding and demographics, ready in milliseconds) to `on_prepared` so a caller
can show it before the words arrive, then asks `WriteOnce` for the words: from the cache, or written once however
many ask at once, within the rate limits.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from bot import segment_search
from bot.app_index import app_index
from bot.app_matching import DID_YOU_MEAN_CUTOFF, MIN_FUZZY_LENGTH, AppMatcher, normalize_name
from bot.config import Lang, Settings, get_settings
from bot.demographics import DISAGREEMENT_POINTS, disagreement, pool_demographics, with_measured
from bot.errors import EmptyAppList, LLMError, NoKnownApps, ScoresOutOfRange, UnknownSegment
from bot.i18n import t
from bot.localized import segment_name
from bot.models import (
    Audience,
    CatalogApp,
    CategoryLabels,
    Demographics,
    Grounding,
    GroundingApp,
    Meta,
    PersonaResult,
    SegmentInfo,
    SegmentSummary,
    WriterRequest,
)
from bot.nearest_segments import SegmentIndex
from bot.offline_writer import OfflineWriter
from bot.parsing import ParseOutcome, parse_app_list, rank_weights
from bot.postprocess import apply_estimate, finalize
from bot.redis_conn import RedisOptions
from bot.store import PersonaRequest
from bot.text_render import paste_title
from bot.warehouse import Warehouse, open_warehouse
from bot.write_once import WriteOnce
from bot.writers import PersonaWriter, WriterResult
from prompts import PERSONA_PROMPT_VERSION

log = logging.getLogger(__name__)

# Used only when the dataset has neither a population baseline nor audience data to take buckets from.
DEFAULT_BUCKETS = {"age": ["18-24", "25-34", "35-44", "45-54", "55+"], "gender": ["female", "male"]}


@dataclass(frozen=True)
class PreparedPersona:
    """The data part of a persona: ready in milliseconds, before any words are written."""

    grounding: Grounding
    demographics: Demographics
    request: WriterRequest

    @property
    def title(self) -> str | None:
        if self.grounding.segment:
            return segment_name(self.grounding.segment, self.request.lang)
        return paste_title(self.grounding.closest_segments, self.request.lang)


def make_writer(settings: Settings) -> PersonaWriter:
    if settings.llm_enabled:
        from bot.llm import OpenAIWriter  # the SDK client is only built when a key is configured

        return OpenAIWriter(settings)
    return OfflineWriter()


class PersonaService:
    def __init__(
        self,
        settings: Settings,
        warehouse: Warehouse,
        writer: PersonaWriter,
        *,
        redis: RedisOptions | None = None,
        announce: bool = False,
    ):
        """`redis` options share the cache, single-flight and rate limits (in-process without a URL); `announce`
        says once in the log which it is, as a long-running bot should and a one-shot command should not."""
        self.settings = settings
        self.warehouse = warehouse
        self.writer = writer
        self.offline = writer if isinstance(writer, OfflineWriter) else OfflineWriter()
        self.writes = WriteOnce.from_options(redis or RedisOptions(url=None), self.write, writer, announce=announce)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, announce: bool = False) -> PersonaService:
        settings = settings or get_settings()
        return cls(settings, open_warehouse(settings), make_writer(settings),
                   redis=RedisOptions.from_settings(settings), announce=announce)

    # --- the one entry point --------------------------------------------------------------------------------

    def run(
        self,
        request: PersonaRequest,
        *,
        user_id: str | None = None,
        refresh: bool = False,
        on_prepared: Callable[[PreparedPersona], None] | None = None,
    ) -> PersonaResult:
        """The persona for a segment or a pasted list, from the cache or written once.

        `on_prepared` sees the data part first (Slack shows it while the words are written). `refresh` (Regenerate)
        skips the cache. Generations count against the rate limits of `user_id` and `request.team_id`.
        """
        prepared = self.prepare(self.ground(request), request.lang)
        if on_prepared is not None:
            on_prepared(prepared)
        return self.writes.generate(prepared, refresh=refresh, user_id=user_id, team_id=request.team_id)

    # --- segments -------------------------------------------------------------------------------------------

    @property
    def has_llm(self) -> bool:
        """Whether a language model writes the personas; without one the offline draft is deterministic."""
        return self.writer is not self.offline

    def segments(self) -> list[SegmentSummary]:
        return self.warehouse.list_segments()

    @cached_property
    def _segment_index(self) -> list[SegmentSummary]:
        return self.warehouse.list_segments()

    def find_segment(self, query: str) -> SegmentInfo:
        query = query.strip()
        exact = self.warehouse.get_segment(query) if query else None
        if exact is not None:
            return exact
        found = segment_search.find(query, self._segment_index)
        if found is None:
            close = segment_search.suggestions(query, self._segment_index)
            raise UnknownSegment(query, [(s.id, s.name) for s in close])
        return found

    def search_segments(self, query: str, limit: int = 10) -> list[SegmentInfo]:
        """Typeahead: best matches first; an empty query lists segments in order."""
        return [s for s, _ in segment_search.rank(query, self._segment_index, limit=limit)]

    # --- grounding ------------------------------------------------------------------------------------------

    def ground(self, request: PersonaRequest) -> Grounding:
        if request.kind == "segment":
            return self.ground_segment(self.find_segment(request.query))
        return self.ground_paste(request.query)

    @cached_property
    def catalog(self) -> list[CatalogApp]:
        # Read once per process: matching pastes and naming categories both need it on every request.
        return self.warehouse.catalog()

    @cached_property
    def matcher(self) -> AppMatcher:
        return AppMatcher(self.catalog)

    @cached_property
    def _population(self) -> Audience:
        return self.warehouse.population()

    @cached_property
    def _categories(self) -> dict[str, str]:
        return {a.app_id: a.category for a in self.catalog}

    @cached_property
    def _category_labels(self) -> dict[str, CategoryLabels]:
        return {c.category: c for c in self.warehouse.categories()}

    def ground_segment(self, segment: SegmentInfo) -> Grounding:
        rows = self.warehouse.segment_apps(segment.id)
        apps = [
            GroundingApp(
                name=r.app.name,
                app_id=r.app.app_id,
                score=r.confidence,
                category=r.app.category,
                weight=r.confidence,
                has_audience=bool(r.audience),
                penetration=r.penetration,
                reach=r.market_reach,
                index=app_index(r.penetration, r.market_reach),
            )
            for r in rows
        ]
        audience = {r.app.app_id: r.audience for r in rows if r.audience}
        return Grounding(
            segment=segment,
            apps=apps,
            audience=audience,
            population=self._population,
            measured=self.warehouse.segment_audience(segment.id),
            categories=self._labels_of(apps),
        )

    def _labels_of(self, apps: list[GroundingApp]) -> dict[str, CategoryLabels]:
        labels = self._category_labels
        return {a.category: labels[a.category] for a in apps if a.category in labels}

    def ground_apps(self, text: str) -> Grounding:
        truncated = len(text) > self.settings.max_input_chars
        outcome = parse_app_list(text[: self.settings.max_input_chars], max_apps=self.settings.max_input_apps)
        self._refuse_out_of_range(outcome)
        if not outcome.apps:
            raise EmptyAppList()
        parsed = self.matcher.resolve(outcome.apps)
        weights = rank_weights(parsed)
        audience = self.warehouse.audience(sorted({p.app_id for p in parsed if p.app_id}))
        apps = [
            GroundingApp(
                name=p.name,
                app_id=p.app_id,
                score=p.score,
                category=self._categories.get(p.app_id) if p.app_id else None,
                weight=w,
                has_audience=bool(p.app_id and audience.get(p.app_id)),
                merged_from=p.merged_from,
            )
            for p, w in zip(parsed, weights, strict=True)
        ]
        return Grounding(
            apps=apps,
            audience={k: v for k, v in audience.items() if v},
            population=self._population,
            categories=self._labels_of(apps),
            truncated=truncated or outcome.truncated,
        )

    # --- pasted lists: honest inputs and nearest segments ---------------------------------------------------

    def ground_paste(self, text: str) -> Grounding:
        """`ground_apps`, refused when no app is known and no LLM can estimate, with the closest segments."""
        grounding = self.ground_apps(text)
        known = [app for app in grounding.apps if app.app_id]
        if not known and self.writer is self.offline:
            # Without data or a model, a persona would be the population dressed up as an answer.
            unknown = [app.name for app in grounding.apps]
            suggestions = {
                name: found[0].name
                for name in unknown
                # Short names have too many loose neighbours ("Bar" is not BabyCenter) to suggest one.
                if len(normalize_name(name)) >= MIN_FUZZY_LENGTH
                and (found := self.matcher.suggest(name, limit=1, cutoff=DID_YOU_MEAN_CUTOFF))
            }
            raise NoKnownApps(unknown, suggestions)
        grounding.closest_segments = self._nearest_segments.closest(grounding.apps)
        return grounding

    @cached_property
    def _nearest_segments(self) -> SegmentIndex:
        # Read once per process, like the catalog: segments change only when a dataset is loaded.
        return SegmentIndex.from_warehouse(self.warehouse, self._segment_index)

    def _refuse_out_of_range(self, outcome: ParseOutcome) -> None:
        """Refuse scores no reading places in 0–1 (bot/parsing, "Out of range") rather than clamp or guess."""
        refused = [
            found
            for found in outcome.out_of_range
            # An uncertain one ("小红书 1.5" alone) is a score only if the number is not part of a catalog name.
            if found.certain or (self.matcher.match(found.text) is None and self.matcher.match(found.name) is not None)
        ]
        if refused:
            raise ScoresOutOfRange([f.text if f.value in f.text else f"{f.text} {f.value}" for f in refused])

    # --- generation -----------------------------------------------------------------------------------------

    def prepare(self, grounding: Grounding, lang: Lang | None = None) -> PreparedPersona:
        pooled = pool_demographics(grounding, min_coverage=self.settings.min_coverage)
        demographics = self._measured_beats_modelled(grounding, pooled)
        buckets = {
            dim: list(grounding.population.get(dim) or getattr(demographics, dim) or DEFAULT_BUCKETS[dim])
            for dim in ("age", "gender")
        }
        request = WriterRequest(
            grounding=grounding,
            demographics=demographics,
            lang=lang or self.settings.default_lang,
            needs_estimate=demographics.source == "ai_estimate",
            buckets=buckets,
        )
        return PreparedPersona(grounding=grounding, demographics=demographics, request=request)

    def _measured_beats_modelled(self, grounding: Grounding, pooled: Demographics) -> Demographics:
        """A segment's measured audience replaces the pooled figures when it rests on enough people; pooled figures
        that disagree strongly with it are flagged for whoever tunes the pooling or checks the data."""
        demographics = with_measured(pooled, grounding.measured, min_sample=self.settings.min_sample)
        gaps = disagreement(demographics)
        if any(gap > DISAGREEMENT_POINTS for gap in gaps.values()):
            segment = grounding.segment
            # INFO: the card is right (it shows the measurement); this is for whoever checks the pooling or the data.
            log.info(
                "pooled_disagrees_with_measured",
                extra={"segment": segment.id if segment else None, "gap_points": gaps, "n": demographics.n},
            )
        return demographics

    def write(self, prepared: PreparedPersona) -> PersonaResult:
        fallback = self.offline.write(prepared.request)
        result, note = fallback, None
        if self.writer is not self.offline:
            try:
                result = self.writer.write(prepared.request)
            except LLMError as exc:
                # The log says it in English, the card in its reader's language.
                note = exc.for_reader(prepared.request.lang)
                log.warning("llm_failed", extra={"error": str(exc), "fallback": "offline"})
            except Exception:  # a writer bug must cost the user the prose, never the card
                note = t("llm.crashed_draft", prepared.request.lang)
                log.exception("writer_crashed")
        return self._assemble(prepared, result, fallback, note)

    def _assemble(
        self, prepared: PreparedPersona, written: WriterResult, fallback: WriterResult, note: str | None
    ) -> PersonaResult:
        used_llm = written is not fallback
        profile, hashtags, citations, dropped, repairs = finalize(written.draft, prepared.grounding, fallback.draft)
        if used_llm and repairs:
            # The user still gets a sound card; the log keeps what the model got wrong.
            log.warning("persona_repaired", extra={"repairs": repairs, "model": self.writer.model_name})
        demographics = prepared.demographics
        if prepared.request.needs_estimate and used_llm:
            demographics = apply_estimate(demographics, written.draft, prepared.request.buckets)
        model = self.writer.model_name if used_llm else self.offline.model_name
        return PersonaResult(
            id=secrets.token_hex(8),
            segment=prepared.grounding.segment,
            apps=prepared.grounding.apps,
            profile=profile,
            hashtags=hashtags,
            demographics=demographics,
            citations=citations,
            closest_segments=prepared.grounding.closest_segments,
            categories=prepared.grounding.categories,
            meta=Meta(
                model=model,
                prompt_version=PERSONA_PROMPT_VERSION,
                writer="llm" if used_llm else "offline",
                lang=prepared.request.lang,
                dropped_citations=dropped,
                removed_figures=written.removed_figures if used_llm else 0,
                note=note,
                truncated_input=prepared.grounding.truncated,
                prompt_tokens=written.prompt_tokens,
                completion_tokens=written.completion_tokens,
            ),
        )
