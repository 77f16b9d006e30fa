"""A small hand-made dataset written as CSV files, for tests that need exact, known numbers."""

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
