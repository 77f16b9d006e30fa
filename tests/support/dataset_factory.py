"""Small hand-made datasets written as CSV files, for tests that need exact, known numbers.

`FILES` is a contract v1 dataset (as datasets were before markets, penetration and measured audiences): it must
keep loading. `V2_FILES` is the same dataset with every v2 column and file filled in.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.dataset import Dataset
from bot.models import Audience

APPS = [
    ["app_id", "name", "category", "aliases", "reach"],
    ["keep", "Keep", "fitness", "keep健身", "0.2"],
    ["xhs", "小红书", "social", "Xiaohongshu|RED|小紅書", "0.4"],
    ["meituan", "美团", "food_delivery", "Meituan|美團", "0.5"],
    ["nodata", "Niche Tracker", "fitness", "", ""],
]
AUDIENCE = [
    ["app_id", "dimension", "bucket", "share"],
    ["keep", "age", "18-24", "0.3"],
    ["keep", "age", "25-34", "0.5"],
    ["keep", "age", "35+", "0.2"],
    ["keep", "gender", "female", "0.55"],
    ["keep", "gender", "male", "0.45"],
    ["xhs", "age", "18-24", "0.45"],
    ["xhs", "age", "25-34", "0.4"],
    ["xhs", "age", "35+", "0.15"],
    ["xhs", "gender", "female", "0.8"],
    ["xhs", "gender", "male", "0.2"],
    ["meituan", "age", "18-24", "0.25"],
    ["meituan", "age", "25-34", "0.4"],
    ["meituan", "age", "35+", "0.35"],
    ["meituan", "gender", "female", "0.5"],
    ["meituan", "gender", "male", "0.5"],
]
POPULATION = [
    ["dimension", "bucket", "share"],
    ["age", "18-24", "0.2"],
    ["age", "25-34", "0.3"],
    ["age", "35+", "0.5"],
    ["gender", "female", "0.5"],
    ["gender", "male", "0.5"],
]
SEGMENTS = [
    ["segment_id", "name", "description", "size", "aliases"],
    ["s1", "Gym goers", "People who train weekly.", "120000", "健身族|健身族群"],
    ["s2", "Foodies", "People who order in.", "80000", "吃貨|吃货"],
]
SEGMENT_APPS = [
    ["segment_id", "app_id", "confidence"],
    ["s1", "keep", "0.9"],
    ["s1", "xhs", "0.6"],
    ["s1", "nodata", "0.3"],
    ["s2", "meituan", "0.95"],
    ["s2", "xhs", "0.7"],
]

FILES = {
    "apps.csv": APPS,
    "app_audience.csv": AUDIENCE,
    "population.csv": POPULATION,
    "segments.csv": SEGMENTS,
    "segment_apps.csv": SEGMENT_APPS,
}


def write_dataset(directory: Path, overrides: dict[str, list[list[str]]] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in {**FILES, **(overrides or {})}.items():
        with (directory / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return directory


def population_audience(dataset: Dataset) -> Audience:
    """The population baseline as the warehouses return it: dimension -> bucket -> share."""
    out: Audience = {}
    for row in dataset.population:
        out.setdefault(row.dimension, {})[row.bucket] = row.share
    return out


def audience_by_app(dataset: Dataset) -> dict[str, Audience]:
    """Every app's audience as the warehouses return it: app_id -> dimension -> bucket -> share."""
    out: dict[str, Audience] = {}
    for row in dataset.audience:
        out.setdefault(row.app_id, {}).setdefault(row.dimension, {})[row.bucket] = row.share
    return out


# --- contract v2: markets, localized segments, penetration, measured audiences, category labels, reach per market

APPS_V2 = [
    [*APPS[0], "market"],
    [*APPS[1], "CN"],
    [*APPS[2], "CN|TW|HK"],
    [*APPS[3], "CN"],
    [*APPS[4], "global"],
]
SEGMENTS_V2 = [
    [*SEGMENTS[0], "market", "name_zh_tw", "name_zh_cn", "description_zh_tw", "description_zh_cn"],
    [*SEGMENTS[1], "CN", "健身族", "健身族", "每週訓練的人。", "每周训练的人。"],
    # No market: its apps' index is measured against the whole population; no translations: English is shown.
    [*SEGMENTS[2], "", "", "", "", ""],
]
SEGMENT_APPS_V2 = [
    [*SEGMENT_APPS[0], "penetration"],
    [*SEGMENT_APPS[1], "0.63"],
    [*SEGMENT_APPS[2], "0.5"],
    [*SEGMENT_APPS[3], ""],
    [*SEGMENT_APPS[4], "0.8"],
    [*SEGMENT_APPS[5], "0.6"],
]
SEGMENT_AUDIENCE = [
    ["segment_id", "dimension", "bucket", "share", "n"],
    ["s1", "age", "18-24", "0.25", "1500"],
    ["s1", "age", "25-34", "0.55", "1500"],
    ["s1", "age", "35+", "0.2", "1500"],
    ["s1", "gender", "female", "0.4", "1500"],
    ["s1", "gender", "male", "0.6", "1500"],
    # Too few people to show.
    ["s2", "age", "18-24", "0.5", "40"],
    ["s2", "age", "25-34", "0.3", "40"],
    ["s2", "age", "35+", "0.2", "40"],
    ["s2", "gender", "female", "0.45", "40"],
    ["s2", "gender", "male", "0.55", "40"],
]
CATEGORIES = [
    ["category", "label_en", "label_zh_tw", "label_zh_cn"],
    ["fitness", "Fitness", "健身", "健身"],
    ["social", "Social", "社群", "社交"],
    ["food_delivery", "Food delivery", "", ""],
]
APP_REACH = [
    ["app_id", "market", "reach"],
    ["keep", "CN", "0.15"],
    ["xhs", "CN", "0.4"],
    ["xhs", "TW", "0.1"],
    ["meituan", "CN", "0.6"],
]

V2_FILES = {
    **FILES,
    "apps.csv": APPS_V2,
    "segments.csv": SEGMENTS_V2,
    "segment_apps.csv": SEGMENT_APPS_V2,
    "segment_audience.csv": SEGMENT_AUDIENCE,
    "categories.csv": CATEGORIES,
    "app_reach.csv": APP_REACH,
}


def write_dataset_v2(directory: Path, overrides: dict[str, list[list[str]]] | None = None) -> Path:
    return write_dataset(directory, {**V2_FILES, **(overrides or {})})
