"""App descriptors and the contradiction list: data the offline writer and the card lint share."""

from __future__ import annotations

import re

from bot.app_words import load_contradictions, load_descriptors
from bot.config import LANGS
from bot.dataset import read_dataset, sample_dataset_dir
from bot.models import SegmentInfo

_CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_catalog_app_has_a_descriptor_in_every_language() -> None:
    descriptors = load_descriptors()
    apps = read_dataset(sample_dataset_dir()).apps
    assert len(apps) == 360
    for app in apps:
        for lang in LANGS:
            text = descriptors.of(app.app_id, app.category, lang)
            assert text.strip(), (app.app_id, lang)
            # English descriptors are English; Chinese ones are Chinese and have no full stop to break a sentence.
            assert bool(_CJK.search(text)) == lang.startswith("zh"), (app.app_id, lang, text)
            assert not text.endswith((".", "。")), (app.app_id, lang, text)


def test_apps_with_their_own_line_are_catalog_apps() -> None:
    catalog = {app.app_id for app in read_dataset(sample_dataset_dir()).apps}
    assert set(load_descriptors().apps) <= catalog
    assert load_descriptors().of("strava", "fitness", "en") == "log runs and rides"
    assert load_descriptors().of("not_listed", "fitness", "en") == load_descriptors().categories["fitness"]["en"]


def test_contradiction_rules_apply_to_the_segments_they_name() -> None:
    rules = load_contradictions()
    ev = SegmentInfo(id="x", name="EV owners in mainland China")
    gym = SegmentInfo(id="y", name="Fitness enthusiasts in Taipei")
    assert "油价" in rules.avoided(ev, "zh-CN") and "fuel price" in rules.avoided(ev, "en")
    assert rules.avoided(gym, "en") == []
    assert rules.clashes("They keep an eye on Fuel Prices.", ev, "en") == ["fuel price", "fuel prices"]
    remote = SegmentInfo(id="z", name="Startup & remote workers", aliases=["新創與遠端工作者"])
    assert rules.clashes("求職中", remote, "zh-TW") == ["求職"]
