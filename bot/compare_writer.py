"""The comparison's summary written by the LLM: one line per segment on what sets it apart, checked like every
other written answer (language, echoes of the instructions, and only figures the comparison holds).

Without an LLM, or when it fails the checks twice, the summary computed from the data (`offline_summary`) stays.
Answers go through `WriteOnce.followup`: cached per segments, language, model and prompt version, written once
however many ask, within the same rate limits as the persona's follow-ups.
"""

from __future__ import annotations

import logging
from string import Template
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.cache import FOLLOWUP_PREFIX, _digest
from bot.compare import Comparison
from bot.errors import LLMError, llm_note
from bot.figure_check import Figures, distribution_figures, unsupported_figures
from bot.languages import language
from bot.models import WrittenAnswer
from bot.output_checks import CheckFailed, Problem, text_problems
from bot.postprocess import clean_text
from bot.prompt_echo import echoes_prompt
from bot.prompting import data_json
from bot.rate_limit import RateLimited
from bot.write_once import WriteOnce
from bot.writers import JsonCompleter
from prompts import COMPARE_PROMPT_VERSION, load_template

log = logging.getLogger(__name__)

_LINE_LIMIT = 300


class CompareDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apart: list[str]


class CompareSummary(WrittenAnswer):
    lines: list[str] = Field(default_factory=list)
    model: str = "offline-writer"


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    """What the model sees: each segment's figures, the shared apps and the overlaps, nothing else."""
    lang = comparison.lang
    return {
        "segments": [
            {
                "name": s.segment.localized_name(lang),
                "size": s.segment.size,
                "age_percent": s.demographics.age,
                "gender_percent": s.demographics.gender,
                "apps_above_average": [{"app": a.name, "index": a.index} for a in s.distinctive],
            }
            for s in comparison.segments
        ],
        "shared_apps": [a.name for a in comparison.shared_apps],
        "overlaps": [p.model_dump() for p in comparison.overlaps],
    }


def comparison_figures(comparison: Comparison) -> Figures:
    """Figures the summary may state: each segment's shares (and runs of neighbouring buckets), the gaps between
    segments in the same bucket, indexes and their multiples, overlaps, sizes and sample sizes."""
    percents = distribution_figures([d for s in comparison.segments for d in (s.demographics.age,
                                                                             s.demographics.gender)])
    decimals: set[float] = {p.overlap for p in comparison.overlaps}
    counts: set[int] = {s.segment.size for s in comparison.segments if s.segment.size}
    counts |= {s.demographics.n for s in comparison.segments if s.demographics.n}
    for dim in ("age", "gender"):
        dists = [getattr(s.demographics, dim) for s in comparison.segments]
        for bucket in {b for d in dists for b in d}:
            values = [d.get(bucket, 0.0) for d in dists]
            percents |= {round(abs(a - b), 4) for a in values for b in values}
    for s in comparison.segments:
        for app in s.distinctive:
            if app.index is not None:
                decimals |= {round(app.index / 100, 1), app.index}
                percents.add(app.index)
    return Figures(frozenset(percents), frozenset(decimals), frozenset(counts))


def summary_key(comparison: Comparison, model: str) -> str:
    payload = {"compare": [s.segment.id for s in comparison.segments], "lang": comparison.lang, "model": model,
               "prompt_version": COMPARE_PROMPT_VERSION}
    return FOLLOWUP_PREFIX + _digest(payload)


def _quoted(comparison: Comparison) -> list[str]:
    names = [s.segment.localized_name(comparison.lang) for s in comparison.segments]
    return names + [a.name for s in comparison.segments for a in s.distinctive] + [a.name for a in
                                                                                     comparison.shared_apps]


def _checker(comparison: Comparison) -> Any:
    figures, quoted = comparison_figures(comparison), _quoted(comparison)

    def check(draft: CompareDraft) -> CompareDraft:
        problems = []
        if len(draft.apart) != len(comparison.segments):
            problems.append(Problem("empty_list", f"write exactly {len(comparison.segments)} lines, one per segment"))
        texts = [(f"apart[{i}]", line) for i, line in enumerate(draft.apart)]
        problems += text_problems(texts, comparison.lang, quoted, figures)
        if problems:
            raise CheckFailed(problems, usable=draft if len(draft.apart) == len(comparison.segments) else None)
        return draft

    return check


def write_summary(llm: JsonCompleter, comparison: Comparison) -> CompareSummary:
    """The written lines, or the computed ones with a note when the model cannot give sound ones."""
    offline = CompareSummary(lines=comparison.summary)
    system = Template(load_template("compare_system.v1.txt")).substitute(language=language(comparison.lang).model_name)
    user = Template(load_template("compare.v1.txt")).substitute(data=data_json(comparison_data(comparison)))
    try:
        draft, _usage = llm.complete_json([{"role": "system", "content": system}, {"role": "user", "content": user}],
                                          CompareDraft, check=_checker(comparison))
    except Exception as exc:
        if not isinstance(exc, LLMError):
            log.exception("compare_writer_crashed")
        return offline.model_copy(update={"note": llm_note(exc, comparison.lang)})
    quoted = _quoted(comparison)
    lines = [clean_text(line)[:_LINE_LIMIT] for line in draft.apart]
    # A comparison is its figures: a line still holding one the data does not back after the repair is not
    # trimmed (as a persona's prose is) but the whole summary falls back to the one computed from the data.
    figures = comparison_figures(comparison)
    if any(unsupported_figures(line, figures, quoted) for line in lines):
        log.warning("compare_summary_unsupported_figures")
        unsupported = LLMError("unusable", checks=["unsupported_figure"])
        return offline.model_copy(update={"note": unsupported.for_reader(comparison.lang)})
    # A line that repeats the instructions is replaced by the computed one for its segment.
    lines = [comparison.summary[i] if echoes_prompt(line, quoted) else line for i, line in enumerate(lines)]
    return CompareSummary(lines=lines, writer="llm", model=llm.model_name)


def with_written_summary(comparison: Comparison, writes: WriteOnce, llm: JsonCompleter | None, *,
                         user_id: str | None = None, team_id: str | None = None) -> Comparison:
    """`comparison` with its summary written by `llm` (cached), or unchanged without one."""
    if llm is None:
        return comparison
    try:
        summary = writes.followup(summary_key(comparison, llm.model_name), CompareSummary,
                                  lambda: write_summary(llm, comparison), user_id=user_id, team_id=team_id)
    except RateLimited:
        # The table is the answer; over the limit, the computed summary still says what sets each apart.
        return comparison
    return comparison.model_copy(update={"summary": summary.lines, "writer": summary.writer,
                                         "note": summary.note})
