"""Names, labels and counts in the reader's language: a segment's localized name and description, a category's
display label, and head counts written the way each language writes them ("1,200,000", "120万", "120萬").

Every surface (card, text, CLI, picker) goes through these, so no reader ever sees an English description on a
Chinese card or a raw category id such as `food_delivery`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import has, t
from bot.lexicon import load_lexicon
from bot.models import CategoryLabels, SegmentInfo

# Chinese counts in units of ten thousand (万/萬) and a hundred million (亿/億).
_WAN = {"zh-TW": "萬", "zh-CN": "万"}
_YI = {"zh-TW": "億", "zh-CN": "亿"}
# Markets that mean "used everywhere" in `apps.csv`, or "no one market" for a segment.
GLOBAL_MARKETS = frozenset({"global", "all", "ww"})


def segment_name(segment: SegmentInfo, lang: str) -> str:
    """The segment's name in `lang`, falling back to the dataset's `name` when that translation is empty."""
    localized = {"zh-TW": segment.name_zh_tw, "zh-CN": segment.name_zh_cn}.get(lang, "")
    return (localized or "").strip() or segment.name


def segment_description(segment: SegmentInfo, lang: str) -> str:
    localized = {"zh-TW": segment.description_zh_tw, "zh-CN": segment.description_zh_cn}.get(lang, "")
    return (localized or "").strip() or segment.description


def all_names(segment: SegmentInfo) -> list[str]:
    """Every name a reader may know the segment by, in all three languages, aliases included."""
    names = [segment.name, segment.name_zh_tw, segment.name_zh_cn, *segment.aliases]
    return list(dict.fromkeys(n for n in names if n and n.strip()))


def market_name(market: str | None, lang: str) -> str:
    """A market as the reader calls it ("Taiwan", "台灣", "中国大陆"), never its code; a market the locale files do
    not name (a dataset's own "SG") is shown as the dataset spells it, and no market at all is "every market"."""
    code = (market or "").strip()
    if not code or code.casefold() in GLOBAL_MARKETS:
        return t("market.global", lang)
    key = f"market.{code.upper()}"
    return t(key, lang) if has(key) else code


def _short(value: float) -> str:
    """One decimal at most, without a trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def count(n: int, lang: str) -> str:
    """A head count as the language writes it: `1,200,000` in English, `120万` / `120萬` in Chinese."""
    if lang not in _WAN or abs(n) < 10_000:
        return f"{n:,}"
    if abs(n) >= 100_000_000:
        return _short(n / 100_000_000) + _YI[lang]
    wan = n / 10_000
    return (str(round(wan)) if abs(wan) >= 100 else _short(wan)) + _WAN[lang]


def category_label(category: str | None, lang: str, labels: Mapping[str, CategoryLabels] | None = None) -> str:
    """A category's display label: the dataset's `categories.csv` label, else the lexicon's, else the id made
    readable (`food delivery`); never the raw id."""
    if not category or not category.strip():
        return ""
    row = (labels or {}).get(category)
    if row is not None:
        localized = {"en": row.label_en, "zh-TW": row.label_zh_tw, "zh-CN": row.label_zh_cn}.get(lang, "")
        if (localized or row.label_en).strip():
            return (localized or row.label_en).strip()
    lexicon = load_lexicon()
    key = lexicon.resolve(category)
    if key is not None:
        label = lexicon.words(key, lang if lang in ("en", "zh-TW", "zh-CN") else "en").label  # type: ignore[arg-type]
        return label[:1].upper() + label[1:] if lang == "en" else label
    readable = category.strip().replace("_", " ").replace("-", " ")
    return readable[:1].upper() + readable[1:]
