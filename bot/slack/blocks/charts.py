"""Age as a bar chart and gender as a pie chart, in Slack's `data_visualization` block, plus a text line.

slack_sdk has no model for the block, so it is built as a dict and fitted here to Slack's documented limits
(docs.slack.dev/reference/block-kit/blocks/data-visualization-block): a title of at most 50 characters; a pie of
1–6 segments, each label at most 20 characters and each value above 0; a bar chart of 1–6 series whose data
labels are the `axis_config` categories (20 characters each) with axis labels of at most 50; at most two charts
in a message. The figures are the card's own, rounded as the card prints them.

Clients that cannot draw a chart, and notifications, read `figures_line`: the same figures as one line of text.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import bucket_label, t
from bot.models import Demographics
from bot.mrkdwn import single_line, truncate
from bot.text_render import format_pct

Block = dict[str, Any]

CHART_BLOCK = "data_visualization"
MAX_CHART_TITLE = 50
MAX_CHART_LABEL = 20
MAX_AXIS_LABEL = 50
MAX_PIE_SEGMENTS = 6
MAX_SERIES = 6
MAX_CHARTS_PER_MESSAGE = 2
# An age chart with more bars than this stops being readable on a phone; the rest are folded into the last bar.
MAX_BARS = 12


def _label(text: str, taken: set[str]) -> str:
    """A chart label within Slack's 20 characters, unique within its chart (labels name the categories)."""
    base = truncate(single_line(text), MAX_CHART_LABEL) or "?"
    label, n = base, 2
    while label in taken:
        suffix = f" {n}"
        label = truncate(base, MAX_CHART_LABEL - len(suffix)).rstrip("…") + suffix
        n += 1
    taken.add(label)
    return label


def _value(pct: float) -> float:
    # The card prints one decimal; the chart shows the same figure.
    return round(float(pct), 1)


def _chart_block(block_id: str, title: str, chart: dict[str, Any]) -> Block:
    return {"type": CHART_BLOCK, "block_id": block_id, "title": truncate(single_line(title), MAX_CHART_TITLE) or "?",
            "chart": chart}


def age_chart(age: dict[str, float], lang: str) -> Block | None:
    """A one-series bar chart of the age buckets in the data's order; None when there is nothing to draw."""
    points = list(age.items())[:MAX_BARS]
    if not points:
        return None
    taken: set[str] = set()
    data = [{"label": _label(bucket_label(bucket, lang), taken), "value": _value(pct)} for bucket, pct in points]
    return _chart_block("persona_chart_age", t("chart.age_title", lang), {
        "type": "bar",
        "series": [{"name": truncate(t("chart.share", lang), MAX_CHART_LABEL), "data": data}],
        "axis_config": {
            "categories": [point["label"] for point in data],
            "x_label": truncate(t("age", lang), MAX_AXIS_LABEL),
            "y_label": truncate(t("chart.y_label", lang), MAX_AXIS_LABEL),
        },
    })


def gender_chart(gender: dict[str, float], lang: str) -> Block | None:
    """A pie of the gender buckets above 0 % (Slack refuses empty slices); None when none is left."""
    slices = [(bucket, _value(pct)) for bucket, pct in gender.items() if _value(pct) > 0][:MAX_PIE_SEGMENTS]
    if not slices:
        return None
    taken: set[str] = set()
    segments = [{"label": _label(bucket_label(b, lang), taken), "value": v} for b, v in slices]
    return _chart_block("persona_chart_gender", t("chart.gender_title", lang), {"type": "pie", "segments": segments})


def demographic_charts(demographics: Demographics, lang: str) -> list[Block]:
    """The age bar chart and the gender pie, whichever the data has (at most the two Slack allows)."""
    charts = [age_chart(demographics.age, lang), gender_chart(demographics.gender, lang)]
    return [chart for chart in charts if chart is not None][:MAX_CHARTS_PER_MESSAGE]


def figures_line(demographics: Demographics, lang: str) -> str:
    """"Age 18-24 21.0% · 25-34 33.5% …  |  Gender Female 55.0% · Male 45.0%": the charts' figures as plain text."""
    parts = []
    for dimension in ("age", "gender"):
        dist: dict[str, float] = getattr(demographics, dimension)
        if dist:
            figures = " · ".join(f"{single_line(bucket_label(b, lang))} {format_pct(p)}" for b, p in dist.items())
            parts.append(f"{t(dimension, lang)} {figures}")
    return "  |  ".join(parts)


def has_charts(payload: dict[str, Any]) -> bool:
    return any(isinstance(b, dict) and b.get("type") == CHART_BLOCK for b in payload.get("blocks") or [])
