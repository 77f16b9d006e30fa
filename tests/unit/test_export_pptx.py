"""The one-slide PowerPoint export: it opens, its charts hold the card's figures, and Chinese text can render."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.oxml.ns import qn

from bot.config import Settings
from bot.export_pptx import EAST_ASIAN_FONT, persona_pptx
from bot.i18n import bucket_label, t
from bot.service import PersonaService
from bot.store import PersonaRequest
from tests.support.results import make_result


def _charts(data: bytes) -> dict[str, Chart]:
    slide = Presentation(io.BytesIO(data)).slides[0]
    return {shape.chart.chart_title.text_frame.text: shape.chart for shape in slide.shapes if shape.has_chart}


def _runs(data: bytes) -> list:
    slide = Presentation(io.BytesIO(data)).slides[0]
    return [run for shape in slide.shapes if shape.has_text_frame
            for paragraph in shape.text_frame.paragraphs for run in paragraph.runs]


@pytest.mark.parametrize("lang", ["en", "zh-TW", "zh-CN"])
def test_a_real_persona_slide_opens_and_its_charts_are_the_cards_figures(settings: Settings, lang: str) -> None:
    result = PersonaService.from_settings(settings).run(PersonaRequest(kind="segment", query="fitness", lang=lang))
    data = persona_pptx(result)
    deck = Presentation(io.BytesIO(data))
    assert len(deck.slides) == 1
    charts = _charts(data)
    assert set(charts) == {t("age", lang), t("gender", lang)}
    for dim in ("age", "gender"):
        dist = getattr(result.demographics, dim)
        plot = charts[t(dim, lang)].plots[0]
        assert list(plot.categories) == [bucket_label(b, lang) for b in dist]
        assert list(plot.series[0].values) == pytest.approx(list(dist.values()))
    text = "\n".join(run.text for run in _runs(data))
    assert result.profile.interests[:40] in text
    assert all(tag in text for tag in result.hashtags.zh + result.hashtags.en)
    assert result.apps[0].name in text
    assert t(f"source.{result.demographics.source}", lang) in text


def test_every_run_of_a_chinese_persona_names_an_east_asian_typeface() -> None:
    result = make_result(lang="zh-TW", profile_text="喜歡在河濱跑步，週末上健身房。")
    data = persona_pptx(result)
    runs = _runs(data)
    assert any("跑步" in run.text for run in runs)
    for run in runs:
        ea = run.font._rPr.find(qn("a:ea"))
        assert ea is not None and ea.get("typeface") == EAST_ASIAN_FONT["zh-TW"], run.text
        # The schema orders latin before ea; PowerPoint refuses a file that breaks the order.
        children = [child.tag for child in run.font._rPr]
        assert children.index(qn("a:latin")) < children.index(qn("a:ea"))
    for chart in _charts(data).values():
        assert chart.font._rPr.find(qn("a:ea")).get("typeface") == EAST_ASIAN_FONT["zh-TW"]


def test_simplified_chinese_gets_the_simplified_typeface() -> None:
    runs = _runs(persona_pptx(make_result(lang="zh-CN")))
    assert {run.font._rPr.find(qn("a:ea")).get("typeface") for run in runs} == {EAST_ASIAN_FONT["zh-CN"]}


def test_a_persona_without_figures_has_no_empty_chart() -> None:
    result = make_result()
    result.demographics.age, result.demographics.gender = {}, {}
    assert _charts(persona_pptx(result)) == {}
