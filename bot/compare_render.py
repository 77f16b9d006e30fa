"""A comparison as rows of plain-text cells (the Slack table and the terminal share them) and as terminal text."""

from __future__ import annotations

from bot.app_index import times_average
from bot.compare import SHARED_SHOWN, ComparedSegment, Comparison
from bot.i18n import bucket_label, t
from bot.localized import count
from bot.mrkdwn import single_line
from bot.text_render import display_width, format_pct, format_score, pad

# Cells are cut here: a long app or segment name must not stretch a column off the screen.
CELL_LIMIT = 60


def _cell(text: str) -> str:
    return single_line(text)[:CELL_LIMIT] or "–"


def segment_name(compared: ComparedSegment, lang: str) -> str:
    return single_line(compared.segment.localized_name(lang)) or compared.segment.id


def _source(compared: ComparedSegment, lang: str) -> str:
    demographics = compared.demographics
    if demographics.source == "measured":
        return t("compare.source.measured", lang, n=f"{demographics.n or 0:,}")
    return t("compare.source.pooled", lang)


def _distinctive(compared: ComparedSegment, lang: str) -> str:
    labels = []
    for app in compared.distinctive:
        name = single_line(app.name) or "?"
        if compared.basis == "index" and app.index is not None:
            # Compact in the table ("Strava 4.2×"); the summary below says "4.2× the average" in words.
            labels.append(f"{name} {times_average(app.index)}×")
        else:
            labels.append(t("compare.by_confidence", lang, app=name, score=format_score(app.confidence)))
    return ", ".join(labels) or t("compare.none", lang)


def _buckets(comparison: Comparison, dim: str) -> list[str]:
    """Every bucket any segment has, in the order the first segment that has it gives."""
    seen: list[str] = []
    for compared in comparison.segments:
        seen += [b for b in getattr(compared.demographics, dim) if b not in seen]
    return seen


def comparison_rows(comparison: Comparison) -> list[list[str]]:
    """Header row (names), then size, source, age and gender per bucket, apps above average, apps listed and the
    overlap with each other segment (the apps all share are one line below: `shared_line`). Every row has one
    label cell and one cell per segment."""
    lang, segments = comparison.lang, comparison.segments
    rows = [[t("compare.row.segment", lang)] + [segment_name(s, lang) for s in segments]]
    rows.append([t("compare.row.size", lang)]
                + [count(s.segment.size, lang) if s.segment.size is not None else "–" for s in segments])
    rows.append([t("compare.row.source", lang)] + [_source(s, lang) for s in segments])
    for dim in ("age", "gender"):
        for bucket in _buckets(comparison, dim):
            label = f"{t(dim, lang)} {bucket_label(bucket, lang)}"
            rows.append([label] + [_pct(getattr(s.demographics, dim).get(bucket)) for s in segments])
    rows.append([t("compare.row.distinctive", lang)] + [_distinctive(s, lang) for s in segments])
    rows.append([t("compare.row.apps", lang)] + [str(s.apps) for s in segments])
    ids = [s.segment.id for s in segments]
    for j, other in enumerate(segments):
        cells = []
        for i in range(len(segments)):
            pair = next((p for p in comparison.overlaps if {p.a, p.b} == {ids[i], ids[j]}), None)
            cells.append("–" if pair is None else t("compare.overlap_cell", lang, overlap=f"{pair.overlap:.2f}",
                                                    n=pair.shared))
        rows.append([t("compare.row.overlap", lang, name=segment_name(other, lang)), *cells])
    return [[_cell(c) for c in row] for row in rows]


def _pct(value: float | None) -> str:
    return "–" if value is None else format_pct(value)


def shared_line(comparison: Comparison) -> str:
    """"Apps all of them list (3): Instagram, YouTube, Google Maps", the most confidently shared first."""
    lang = comparison.lang
    names = [single_line(a.name) for a in comparison.shared_apps[:SHARED_SHOWN]]
    more = len(comparison.shared_apps) - len(names)
    apps = ", ".join(names) + (f" +{more}" if more > 0 else "") if names else t("compare.none", lang)
    return t("compare.shared_line", lang, n=len(comparison.shared_apps), apps=apps)


def comparison_title(comparison: Comparison) -> str:
    return t("compare.title", comparison.lang,
             names=" · ".join(segment_name(s, comparison.lang) for s in comparison.segments))


def written_by(comparison: Comparison) -> str:
    """Who wrote the summary: the model (figures checked), or the figures themselves, with why a model's summary
    was not used when one was asked for."""
    if comparison.writer == "llm":
        return t("compare.written_by.llm", comparison.lang)
    note = single_line(comparison.note or "")
    if note:
        return t("compare.written_by.fallback", comparison.lang, note=note)
    return t("compare.written_by.offline", comparison.lang)


def render_comparison_text(comparison: Comparison) -> str:
    """The table with aligned columns (CJK counted double width), then the overlap measure and the summary."""
    rows = comparison_rows(comparison)
    widths = [max(display_width(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = [comparison_title(comparison), ""]
    lines += ["  ".join(pad(cell, widths[c]) for c, cell in enumerate(row)).rstrip() for row in rows]
    lines += ["", shared_line(comparison), t("compare.overlap_note", comparison.lang), "",
              t("compare.summary_title", comparison.lang)]
    lines += [f"- {line}" for line in comparison.summary]
    lines += ["", written_by(comparison)]
    return "\n".join(lines) + "\n"
