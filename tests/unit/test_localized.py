"""Names, labels and counts in the reader's language."""

from __future__ import annotations

import pytest

from bot.localized import category_label, count, market_name, segment_description, segment_name
from bot.models import CategoryLabels, SegmentInfo


@pytest.mark.parametrize(
    ("n", "lang", "expected"),
    [
        (1_200_000, "en", "1,200,000"),
        (1_200_000, "zh-CN", "120万"),
        (1_200_000, "zh-TW", "120萬"),
        (19_346_000, "zh-CN", "1935万"),
        (898_000, "zh-TW", "89.8萬"),
        (600_000, "zh-CN", "60万"),
        (137_431_000, "zh-CN", "1.4亿"),
        (137_431_000, "zh-TW", "1.4億"),
        (9_999, "zh-CN", "9,999"),
        (68, "zh-TW", "68"),
    ],
)
def test_counts_are_written_as_each_language_writes_them(n: int, lang: str, expected: str) -> None:
    assert count(n, lang) == expected


def test_segment_names_and_descriptions_follow_the_reader_and_fall_back_to_english() -> None:
    seg = SegmentInfo(id="s", name="Gamers", description="Play.", name_zh_tw="手遊玩家", description_zh_cn="每天玩。")
    langs = ("en", "zh-TW", "zh-CN")
    assert [segment_name(seg, lang) for lang in langs] == ["Gamers", "手遊玩家", "Gamers"]
    assert [segment_description(seg, lang) for lang in langs] == ["Play.", "Play.", "每天玩。"]


def test_category_labels_come_from_the_dataset_then_the_lexicon_never_the_raw_id() -> None:
    labels = {"food_delivery": CategoryLabels(category="food_delivery", label_en="Delivery", label_zh_tw="外送")}
    assert category_label("food_delivery", "zh-TW", labels) == "外送"
    assert category_label("food_delivery", "zh-CN", labels) == "Delivery"  # a missing translation: label_en
    assert category_label("food_delivery", "zh-CN") == "外卖"  # no dataset labels: the lexicon's
    assert category_label("food_delivery", "en") == "Food delivery"
    assert category_label("space_tourism", "en") == "Space tourism"  # unknown anywhere: made readable
    assert category_label(None, "en") == ""


@pytest.mark.parametrize(
    ("market", "lang", "expected"),
    [
        ("TW", "en", "Taiwan"),
        ("TW", "zh-TW", "台灣"),
        ("TW", "zh-CN", "台湾"),
        ("CN", "en", "mainland China"),
        ("CN", "zh-TW", "中國大陸"),
        ("cn", "zh-CN", "中国大陆"),
        ("HK", "zh-CN", "香港"),
        (None, "en", "every market"),
        ("global", "zh-TW", "所有市場"),
        ("SG", "zh-CN", "SG"),  # a market the locale files do not name: as the dataset spells it
    ],
)
def test_markets_are_named_in_the_readers_language_never_by_code(market: str | None, lang: str,
                                                                  expected: str) -> None:
    assert market_name(market, lang) == expected
