"""A persona as Markdown and CSV files, for the Export button."""

from __future__ import annotations

import csv
import io
import re

from bot.i18n import bucket_label, t
from bot.models import PROFILE_FIELDS, PersonaResult
from bot.mrkdwn import plain, single_line
from bot.text_render import source_label, source_line, title

# A spreadsheet runs a cell that starts with one of these as a formula; app names and written text come from users
# and the LLM, so such cells are opened as text instead (OWASP's advice for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# The ASCII punctuation that starts Markdown syntax (CommonMark lets a backslash escape any of it): with it
# escaped, `![px](http://evil/t.png)` is text, not an image fetched when the file is previewed, and
# `*`, `_`, `#`, `|`, backticks and brackets cannot restyle the document.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~])")
# HTML is allowed inside Markdown, so `<img onerror=…>` would be markup; as entities it is shown as typed.
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(text: str) -> str:
    """Untrusted text (names, user input, model output) as literal Markdown text, on one line per paragraph."""
    escaped = _MD_SPECIAL.sub(r"\\\1", plain(text))
    return "".join(_HTML.get(ch, ch) for ch in escaped)


def _cell(text: str) -> str:
    """One Markdown table cell: one line of literal text (its `|` escaped, so a name cannot split the row)."""
    return md(single_line(text))


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def persona_markdown(result: PersonaResult) -> str:
    lang = result.meta.lang
    lines = [f"# {md(single_line(title(result)))}", ""]
    if result.segment and result.segment.description:
        lines += [md(result.segment.description), ""]
    for field in PROFILE_FIELDS:
        lines += [f"## {t('field.' + field, lang)}", "", md(getattr(result.profile, field))]
        cited = getattr(result.citations, field)
        if cited:
            lines.append(f"_({', '.join(md(single_line(c)) for c in cited)})_")
        lines.append("")
    tags = result.hashtags.zh + result.hashtags.en
    lines += [f"## {t('hashtags', lang)}", "", " ".join(md(single_line(tag)) for tag in tags), ""]
    for dim in ("age", "gender"):
        dist: dict[str, float] = getattr(result.demographics, dim)
        lines += [f"## {t(dim, lang)}", "", "| | % |", "|---|---:|"]
        lines += [f"| {bucket_label(b, lang)} | {pct:.1f} |" for b, pct in dist.items()]
        lines.append("")
    caveat = source_label(result.demographics, lang)
    if caveat:
        lines += [f"_{md(caveat)}_", ""]
    lines += [f"## {t('grounded_on', lang, n=len(result.apps))}", "", "| app | app_id | score | category | index |",
              "|---|---|---:|---|---:|"]
    lines += [
        f"| {_cell(a.name)} | {_cell(a.app_id or t('unmatched', lang))} "
        f"| {'' if a.score is None else f'{a.score:.2f}'} | {_cell(a.category or '')} "
        f"| {'' if a.index is None else f'{a.index:.0f}'} |"
        for a in result.apps
    ]
    lines += ["", f"{md(source_line(result.demographics, lang))}"
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
    pooled = result.demographics.pooled
    for dim in ("age", "gender") if pooled else ():
        for bucket, pct in getattr(pooled, dim).items():
            rows.append([f"pooled_{dim}", bucket, f"{pct:.1f}"])
    for app in result.apps:
        rows.append(["app", app.name, "" if app.score is None else f"{app.score:.4g}"])
    for app in result.apps:
        if app.index is not None:
            rows.append(["app_index", app.name, f"{app.index:.1f}"])
    rows.append(["meta", "source", result.source])
    rows.append(["meta", "coverage", f"{result.coverage:.3f}"])
    if result.demographics.n is not None:
        rows.append(["meta", "n", str(result.demographics.n)])
    rows.append(["meta", "model", result.meta.model])
    rows.append(["meta", "generated_at", result.meta.generated_at.isoformat()])
    out = io.StringIO()
    csv.writer(out).writerows([[_safe(cell) for cell in row] for row in rows])
    return out.getvalue()

