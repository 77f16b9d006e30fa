"""A persona as Markdown and CSV files, for the Export button."""

from __future__ import annotations

import csv
import io

from bot.i18n import bucket_label, t
from bot.models import PROFILE_FIELDS, PersonaResult
from bot.text_render import title


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
        f"| {a.name} | {a.app_id or t('unmatched', lang)} | {'' if a.score is None else f'{a.score:.2f}'} "
        f"| {a.category or ''} |"
        for a in result.apps
    ]
    lines += ["", f"{t('source.' + result.source, lang)} · {t('coverage', lang, pct=round(result.coverage * 100))}"
              f" · {result.meta.model} · {result.meta.prompt_version} · {result.meta.generated_at.isoformat()}", ""]
    return "\n".join(lines)


def persona_csv(result: PersonaResult) -> str:
    """One row per fact: section, key, value — easy to paste into a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value"])
    writer.writerow(["persona", "id", result.id])
    writer.writerow(["persona", "title", title(result)])
    for field in PROFILE_FIELDS:
        writer.writerow(["profile", field, getattr(result.profile, field)])
        writer.writerow(["citations", field, "|".join(getattr(result.citations, field))])
    for tag in result.hashtags.zh:
        writer.writerow(["hashtags", "zh", tag])
    for tag in result.hashtags.en:
        writer.writerow(["hashtags", "en", tag])
    for dim in ("age", "gender"):
        for bucket, pct in getattr(result.demographics, dim).items():
            writer.writerow([dim, bucket, f"{pct:.1f}"])
    for app in result.apps:
        writer.writerow(["app", app.name, "" if app.score is None else f"{app.score:.4g}"])
    writer.writerow(["meta", "source", result.source])
    writer.writerow(["meta", "coverage", f"{result.coverage:.3f}"])
    writer.writerow(["meta", "model", result.meta.model])
    writer.writerow(["meta", "generated_at", result.meta.generated_at.isoformat()])
    return out.getvalue()
