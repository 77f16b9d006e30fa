"""A persona as a one-slide PowerPoint deck, for a rep's pitch: the persona, its hashtags, age and gender as native
charts (editable in PowerPoint, their data the card's own figures), the grounding apps and the source line.

Chinese text renders only where the run names an East Asian typeface: PowerPoint picks the font of CJK characters
from the run's `a:ea` element, not from `a:latin` (which is all python-pptx's `font.name` sets). Every run and
both charts' text therefore carry one, chosen by the persona's language.
"""

from __future__ import annotations

import io

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.text.text import Font, TextFrame
from pptx.util import Inches, Pt

from bot.i18n import bucket_label, t
from bot.models import PROFILE_FIELDS, PersonaResult
from bot.mrkdwn import plain, single_line
from bot.text_render import format_score, source_label, source_line, title

# The fonts people who open these decks have: Windows ships Microsoft JhengHei (traditional) and YaHei
# (simplified), macOS substitutes PingFang for either, and LibreOffice on Linux falls back to Noto Sans CJK.
LATIN_FONT = "Calibri"
EAST_ASIAN_FONT = {"zh-CN": "Microsoft YaHei", "zh-TW": "Microsoft JhengHei", "en": "Microsoft JhengHei"}
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

_INK = RGBColor(0x1D, 0x1C, 0x1D)
_MUTED = RGBColor(0x61, 0x60, 0x61)
_ACCENT = RGBColor(0x12, 0x64, 0xA3)
# Apps listed on the slide; the rest are in the Markdown and CSV exports.
_APPS_SHOWN = 10
_FIELD_LIMIT = 420


def east_asian_font(lang: str) -> str:
    return EAST_ASIAN_FONT.get(lang, EAST_ASIAN_FONT["en"])


def set_typefaces(font: Font, east_asian: str) -> None:
    """The Latin typeface and, right after it as the schema orders them, the East Asian one."""
    font.name = LATIN_FONT
    rpr = font._rPr  # python-pptx exposes no East Asian font; its own element is where `a:ea` belongs
    latin = rpr.find(qn("a:latin"))
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(rpr, qn("a:ea"))
        latin.addnext(ea)
    ea.set("typeface", east_asian)


def _paragraph(frame: TextFrame, text: str, *, size: int, east_asian: str, bold: bool = False,
               color: RGBColor = _INK, first: bool = False, space_before: int = 0) -> None:
    paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
    paragraph.space_before = Pt(space_before)
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold = Pt(size), bold
    run.font.color.rgb = color
    set_typefaces(run.font, east_asian)


def _text_box(slide: Slide, left: float, top: float, width: float, height: float) -> TextFrame:
    frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
    frame.word_wrap = True
    # PowerPoint and LibreOffice shrink the text on open if a long profile would overflow its box.
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    return frame


def _chart(slide: Slide, kind: XL_CHART_TYPE, name: str, dist: dict[str, float], lang: str, box: tuple[float, ...],
           east_asian: str) -> None:
    data = CategoryChartData(number_format='0.0"%"')
    data.categories = [bucket_label(bucket, lang) for bucket in dist]
    data.add_series(name, list(dist.values()))
    left, top, width, height = box
    chart = slide.shapes.add_chart(kind, Inches(left), Inches(top), Inches(width), Inches(height), data).chart
    chart.has_title = True
    chart.chart_title.text_frame.text = name
    set_typefaces(chart.chart_title.text_frame.paragraphs[0].runs[0].font, east_asian)
    chart.font.size = Pt(10)
    set_typefaces(chart.font, east_asian)
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format, plot.data_labels.number_format_is_linked = '0"%"', False
    if kind == XL_CHART_TYPE.PIE:
        chart.has_legend, chart.legend.position, chart.legend.include_in_layout = True, XL_LEGEND_POSITION.RIGHT, False
    else:
        chart.has_legend = False


def persona_pptx(result: PersonaResult) -> bytes:
    lang = result.meta.lang
    east_asian = east_asian_font(lang)
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank

    head = _text_box(slide, 0.5, 0.3, 12.3, 1.0)
    # The segment's name in the persona's language, as a rep would title the slide.
    name = single_line(result.segment.localized_name(lang)) if result.segment else ""
    _paragraph(head, name or single_line(title(result)), size=28, bold=True, east_asian=east_asian, first=True)
    tags = " ".join(single_line(tag) for tag in result.hashtags.zh + result.hashtags.en)
    _paragraph(head, tags, size=14, color=_ACCENT, east_asian=east_asian)

    profile = _text_box(slide, 0.5, 1.45, 7.2, 5.35)
    for i, field in enumerate(PROFILE_FIELDS):
        _paragraph(profile, t("field." + field, lang), size=15, bold=True, color=_ACCENT, east_asian=east_asian,
                   first=i == 0, space_before=0 if i == 0 else 10)
        _paragraph(profile, plain(getattr(result.profile, field))[:_FIELD_LIMIT], size=13, east_asian=east_asian,
                   space_before=2)

    demographics = result.demographics
    if demographics.age:
        _chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, t("age", lang), demographics.age, lang,
               (7.9, 1.4, 2.9, 2.6), east_asian)
    if demographics.gender:
        _chart(slide, XL_CHART_TYPE.PIE, t("gender", lang), demographics.gender, lang, (10.8, 1.4, 2.2, 2.6),
               east_asian)

    apps = _text_box(slide, 7.9, 4.15, 5.1, 2.65)
    _paragraph(apps, t("grounded_on", lang, n=len(result.apps)), size=14, bold=True, color=_ACCENT,
               east_asian=east_asian, first=True)
    for app in result.apps[:_APPS_SHOWN]:
        score = f" · {format_score(app.score)}" if app.score is not None else ""
        _paragraph(apps, f"{single_line(app.name)}{score}", size=11, east_asian=east_asian)

    caveat = source_label(demographics, lang)
    footer = " · ".join(part for part in (source_line(demographics, lang), caveat, result.meta.model,
                                          result.meta.generated_at.strftime("%Y-%m-%d")) if part)
    _paragraph(_text_box(slide, 0.5, 6.95, 12.3, 0.4), footer, size=9, color=_MUTED, east_asian=east_asian,
               first=True)

    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
