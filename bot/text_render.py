"""Plain-text rendering of a persona for terminals and logs, plus the number formatting the card shares.

Everything from users, the warehouse or the writer goes through `mrkdwn.plain`, which also strips ESC and
the other control characters a hostile name could use to rewrite the terminal.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from datetime import UTC, datetime

from bot.app_index import standouts, times_average
from bot.i18n import bucket_label, t
from bot.localized import category_label, count, segment_description, segment_name
from bot.models import PROFILE_FIELDS, CategoryLabels, ClosestSegment, Demographics, GroundingApp, PersonaResult
from bot.mrkdwn import plain, single_line
from bot.nearest_segments import title_segment

BAR_WIDTH = 10
_FULL, _EMPTY = "▓", "░"


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else 0.0


def bar(pct: float, width: int = BAR_WIDTH) -> str:
    """A fixed-width bar for a percentage: `▓▓▓░░░░░░░` for 30."""
    # Half up rather than Python's half-to-even, so 25% and 35% both round the same way.
    filled = int(min(max(_finite(pct), 0.0), 100.0) / 100 * width + 0.5)
    return _FULL * filled + _EMPTY * (width - filled)


def format_pct(pct: float) -> str:
    return f"{_finite(pct):.1f}%"


def format_score(score: float | None) -> str:
    return "" if score is None else f"{_finite(score):.2f}"


def format_time(when: datetime) -> str:
    # Naive timestamps come from our own code and are UTC.
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def display_width(text: str) -> int:
    """Columns `text` takes in a monospace font: CJK wide characters take two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def distribution_rows(dist: dict[str, float], lang: str, *, label_limit: int = 16) -> list[tuple[str, str]]:
    """(padded label, `bar  pct`) per bucket, in the data's order, labels aligned for monospace display."""
    labels = [single_line(bucket_label(bucket, lang))[:label_limit] or "?" for bucket in dist]
    width = max((display_width(label) for label in labels), default=0)
    return [
        (pad(label, width), f"{bar(pct)} {format_pct(pct).rjust(6)}")
        for label, pct in zip(labels, dist.values(), strict=True)
    ]


def title(result: PersonaResult) -> str:
    name = single_line(segment_name(result.segment, result.meta.lang)) if result.segment else ""
    return (
        name
        or paste_title(result.closest_segments, result.meta.lang)
        or t("title.pasted", result.meta.lang, n=len(result.apps))
    )


# --- pasted lists: closest segments and merged names --------------------------------------------------------------


def paste_title(closest: list[ClosestSegment], lang: str) -> str | None:
    """"Pasted apps, closest to <segment>" when a segment overlaps the paste enough to say so, else None."""
    segment = title_segment(closest)
    name = single_line(segment.localized_name(lang)) if segment else ""
    return t("title.pasted_closest", lang, name=name) if name else None


def closest_line(closest: list[ClosestSegment], lang: str) -> str | None:
    """"Closest segment: Fitness enthusiasts in Taipei, 7 of 10 apps shared" (plain text), or None."""
    items = [t("closest.item", lang, name=single_line(c.localized_name(lang)) or c.id, shared=c.shared, of=c.of)
             for c in closest]
    return t("closest.line", lang, n=len(items), items=" · ".join(items)) if items else None


def merged_note(app: GroundingApp, lang: str) -> str | None:
    """"merged with 小紅書" for an app pasted under more than one name, else None."""
    names = [name for name in map(single_line, app.merged_from) if name]
    return t("merged_with", lang, names=", ".join(names)) if names else None


def source_line(demographics: Demographics, lang: str) -> str:
    if demographics.source == "measured":
        return f"{t('source.measured', lang)} · {t('sample_size', lang, n=count(demographics.n or 0, lang))}"
    pct = round(_finite(demographics.coverage) * 100)
    return f"{t(f'source.{demographics.source}', lang)} · {t('coverage', lang, pct=pct)}"


def source_label(demographics: Demographics, lang: str) -> str | None:
    """The caveat shown next to the figures when they are not (entirely) from data: why a segment's measured
    audience is not shown, and how much of the estimate rests on the apps' audience data."""
    caveats = []
    if demographics.fallback_reason == "small_sample":
        caveats.append(t("label.small_sample", lang, n=count(demographics.n or 0, lang)))
    elif demographics.fallback_reason == "incomplete":
        caveats.append(t("label.incomplete", lang))
    if demographics.source == "ai_estimate":
        caveats.append(t("label.ai_estimate", lang))
    elif demographics.source == "mixed":
        caveats.append(t("label.mixed", lang, pct=round(_finite(demographics.coverage) * 100)))
    return " · ".join(caveats) or None


def standout_lines(apps: list[GroundingApp], lang: str, *, name_limit: int = 80) -> list[str]:
    """"Strava: 4.2× the average" for the apps the audience uses far more than average; plain text."""
    return [
        t("standouts.line", lang, app=(single_line(app.name) or "?")[:name_limit], ratio=times_average(app.index))
        for app in standouts(apps)
        if app.index is not None
    ]


def app_line(
    app: GroundingApp, lang: str, *, name_limit: int | None = None, labels: dict[str, CategoryLabels] | None = None
) -> str:
    """`● Keep (Health) · 0.92` for a catalog match, `○ Foo · 0.50 · unmatched` otherwise; plain text."""
    name = single_line(app.name) or "?"
    if name_limit is not None:
        name = name[:name_limit]
    parts = [f"{'●' if app.app_id else '○'} {name}"]
    if app.category:
        category = single_line(category_label(app.category, lang, labels))[:40]
        if category:
            parts[0] += f" ({category})"
    if app.score is not None:
        parts.append(format_score(app.score))
    if not app.app_id:
        parts.append(t("unmatched", lang))
    merged = merged_note(app, lang)
    if merged:
        parts.append(merged)
    return " · ".join(parts)


def _indent(text: str) -> str:
    return textwrap.indent(text, "  ", lambda _line: True)


def render_text(result: PersonaResult) -> str:
    """A readable plain-unicode rendering of the persona for a terminal: no Slack markup."""
    lang = result.meta.lang
    heading = title(result)
    out = [heading, "═" * min(max(display_width(heading), 3), 80)]
    if result.segment:
        about = [plain(segment_description(result.segment, lang)).strip()]
        if result.segment.size is not None:
            about.append(t("segment.size", lang, size=count(result.segment.size, lang)))
        out.append(" · ".join(part for part in about if part))
    out.append("")

    for field in PROFILE_FIELDS:
        out.append(t(f"field.{field}", lang))
        out.append(_indent(plain(getattr(result.profile, field)).strip() or "—"))
        cited = [single_line(name) for name in getattr(result.citations, field)]
        if any(cited):
            out.append(_indent("↳ " + ", ".join(name for name in cited if name)))
        out.append("")

    tags = [
        " ".join(f"#{tag.lstrip('#')}" for tag in map(single_line, group) if tag.lstrip("#"))
        for group in (result.hashtags.zh, result.hashtags.en)
    ]
    if any(tags):
        out.append(t("hashtags", lang))
        out.extend(_indent(line) for line in tags if line)
        out.append("")

    demographics = result.demographics
    for dimension in ("age", "gender"):
        dist = getattr(demographics, dimension)
        if dist:
            out.append(t(dimension, lang))
            out.extend(f"  {label}  {figures}" for label, figures in distribution_rows(dist, lang))
    if not demographics.age and not demographics.gender:
        out.append(t("demographics.none", lang))
    label = source_label(demographics, lang)
    if label:
        out.append(f"({label})")
    out.append("")

    standout = standout_lines(result.apps, lang)
    if standout:
        out.append(t("standouts.title", lang))
        out.extend(f"  {line}" for line in standout)
        out.append("")

    out.append(t("grounded_on", lang, n=len(result.apps)))
    out.extend(f"  {app_line(app, lang, labels=result.categories)}" for app in result.apps)
    closest = closest_line(result.closest_segments, lang)
    if closest:
        out.append(closest)
    out.append("")

    meta = result.meta
    footer = [
        source_line(demographics, lang),
        t("model", lang, model=single_line(meta.model), version=single_line(meta.prompt_version)),
        t("generated", lang, when=format_time(meta.generated_at)),
    ]
    if meta.cached:
        footer.append(t("cached", lang, ago="").strip())
    out.append(" · ".join(footer))
    if meta.writer == "offline":
        out.append(t("offline_draft", lang))
    if meta.truncated_input:
        out.append(t("input_truncated", lang))
    if meta.note and single_line(meta.note):
        out.append(single_line(meta.note))
    return "\n".join(out).rstrip() + "\n"
