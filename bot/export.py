"""A persona as Markdown and CSV files, for the Export button."""

from __future__ import annotations

import csv
import io

from bot.i18n import bucket_label, t
from bot.models import PROFILE_FIELDS, PersonaResult
from bot.mrkdwn import single_line
from bot.text_render import title

# A spreadsheet runs a cell that starts with one of these as a formula; app names and written text come from users
# and the LLM, so such cells are opened as text instead (OWASP's advice for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """One Markdown table cell: one line, and a `|` in a name must not split the row."""
    return single_line(text).replace("|", "\\|")


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def persona_markdown(result: PersonaResult) -> str:
    lang = result.meta.lang
    lines = [f"# {title(result)}", ""]
    if result.segment and result.segment.description:
        lines += [result.segment.description, ""]
    for field in PROFILE_FIELDS:
        lines += [f"## {t('field.' + field, lang)}", "", getattr(result.profile, field)]
        cited = getattr(result.citations, field)
        if cited:
            lines.append(f"_({', '.join(cited)})_")
        lines.append("")
    lines += [f"## {t('hashtags', lang)}", "", " ".join(result.hashtags.zh + result.hashtags.en), ""]
    for dim in ("age", "gender"):
        dist: dict[str, float] = getattr(result.demographics, dim)
        lines += [f"## {t(dim, lang)}", "", "| | % |", "|---|---:|"]
        lines += [f"| {bucket_label(b, lang)} | {pct:.1f} |" for b, pct in dist.items()]
        lines.append("")
    lines += [f"## {t('grounded_on', lang, n=len(result.apps))}", "", "| app | app_id | score | category |",
              "|---|---|---:|---|"]
    lines += [
        f"| {_cell(a.name)} | {_cell(a.app_id or t('unmatched', lang))} "
        f"| {'' if a.score is None else f'{a.score:.2f}'} | {_cell(a.category or '')} |"
        for a in result.apps
    ]
    lines += ["", f"{t('source.' + result.source, lang)} · {t('coverage', lang, pct=round(result.coverage * 100))}"
              f" · {result.meta.model} · {result.meta.prompt_version} · {result.meta.generated_at.isoformat()}", ""]
    return "\n".join(lines)


def persona_csv(result: PersonaResult) -> str:
    """One row per fact: section, key, value — easy to paste into a spreadsheet."""
    rows = [["section", "key", "value"], ["persona", "id", result.id], ["persona", "title", title(result)]]
    for field in PROFILE_FIELDS:
        rows.append(["profile", field, getattr(result.profile, field)])
        rows.append(["citations", field, "|".join(getattr(result.citations, field))])
    for tag in result.hashtags.zh:
        rows.append(["hashtags", "zh", tag])
    for tag in result.hashtags.en:
        rows.append(["hashtags", "en", tag])
    for dim in ("age", "gender"):
        for bucket, pct in getattr(result.demographics, dim).items():
            rows.append([dim, bucket, f"{pct:.1f}"])
    for app in result.apps:
        rows.append(["app", app.name, "" if app.score is None else f"{app.score:.4g}"])
    rows.append(["meta", "source", result.source])
    rows.append(["meta", "coverage", f"{result.coverage:.3f}"])
    rows.append(["meta", "model", result.meta.model])
    rows.append(["meta", "generated_at", result.meta.generated_at.isoformat()])
    out = io.StringIO()
    csv.writer(out).writerows([[_safe(cell) for cell in row] for row in rows])
    return out.getvalue()

