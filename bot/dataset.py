"""Reading and validating a dataset directory of CSV files (the contract in docs/dataset.md).

Validation is complete before anything is loaded, so a bad file never leaves a warehouse half-loaded. Every error
names the file, the row (as a spreadsheet shows it: the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from bot.errors import DatasetError
from bot.models import CatalogApp, CategoryLabels, SegmentInfo

DIMENSION_NAMES = ("age", "gender")
# Shares per app and dimension must sum to 1; CSVs rounded to a few decimals need some slack.
SUM_TOLERANCE = 0.02


@dataclass(frozen=True)
class AudienceRow:
    app_id: str
    dimension: str
    bucket: str
    share: float


@dataclass(frozen=True)
class PopulationRow:
    dimension: str
    bucket: str
    share: float


@dataclass(frozen=True)
class SegmentAppRow:
    segment_id: str
    app_id: str
    confidence: float
    penetration: float | None = None


@dataclass(frozen=True)
class SegmentAudienceRow:
    segment_id: str
    dimension: str
    bucket: str
    share: float
    n: int


@dataclass(frozen=True)
class AppReachRow:
    app_id: str
    market: str
    reach: float


@dataclass
class Dataset:
    apps: list[CatalogApp] = field(default_factory=list)
    audience: list[AudienceRow] = field(default_factory=list)
    population: list[PopulationRow] = field(default_factory=list)
    segments: list[SegmentInfo] = field(default_factory=list)
    segment_apps: list[SegmentAppRow] = field(default_factory=list)
    # Contract v2, all optional: measured segment audiences, category labels, reach per market.
    segment_audience: list[SegmentAudienceRow] = field(default_factory=list)
    categories: list[CategoryLabels] = field(default_factory=list)
    app_reach: list[AppReachRow] = field(default_factory=list)


def sample_dataset_dir() -> Path:
    """The synthetic sample dataset shipped inside the package."""
    return Path(str(resources.files("bot") / "data" / "sample"))


class _Reader:
    """Iterates a CSV file's rows as dicts, checking the header, with row numbers for messages."""

    def __init__(self, path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()):
        self.path, self.name = path, path.name
        self.required, self.optional = required, optional

    def error(self, message: str, row: int | None = None, column: str | None = None) -> DatasetError:
        return DatasetError(self.name, message, row=row, column=column)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            # utf-8-sig: spreadsheets often save a byte-order mark that would corrupt the first column name.
            with self.path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader, None)
                if header is None:
                    raise self.error("the file is empty; it needs a header row")
                header = [h.strip() for h in header]
                missing = [c for c in self.required if c not in header]
                if missing:
                    raise self.error(f"missing column(s) {', '.join(missing)} in the header", row=1)
                unknown = [c for c in header if c and c not in self.required + self.optional]
                if unknown:
                    raise self.error(f"unknown column(s) {', '.join(unknown)} in the header", row=1)
                for number, values in enumerate(reader, start=2):
                    if not any(v.strip() for v in values):
                        continue  # blank lines are harmless
                    if len(values) > len(header):
                        raise self.error(
                            f"{len(values)} values but the header has {len(header)} columns", row=number
                        )
                    values = values + [""] * (len(header) - len(values))
                    yield number, {h: v.strip() for h, v in zip(header, values, strict=True)}
        except UnicodeDecodeError as exc:
            raise self.error(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        except csv.Error as exc:
            raise self.error(f"not a valid CSV file ({exc})") from None

    def text(self, row: int, values: dict[str, str], column: str) -> str:
        value = values.get(column, "")
        if not value:
            raise self.error("is empty", row=row, column=column)
        return value

    def whole(self, row: int, values: dict[str, str], column: str) -> int:
        raw = self.text(row, values, column)
        digits = raw.replace(",", "").replace("_", "")
        if not digits.isdigit():
            raise self.error(f"{raw!r} is not a whole number", row=row, column=column)
        return int(digits)

    def optional_number(self, row: int, values: dict[str, str], column: str, lo: float, hi: float) -> float | None:
        return self.number(row, values, column, lo, hi) if values.get(column) else None

    def number(self, row: int, values: dict[str, str], column: str, lo: float, hi: float) -> float:
        raw = self.text(row, values, column)
        try:
            value = float(raw)
        except ValueError:
            raise self.error(f"{raw!r} is not a number", row=row, column=column) from None
        if math.isnan(value) or not lo <= value <= hi:
            raise self.error(f"{raw} is outside {lo:g}–{hi:g}", row=row, column=column)
        return value


def _split_aliases(raw: str) -> list[str]:
    return [a.strip() for a in raw.split("|") if a.strip()]


def _market(r: _Reader, row: int, raw: str) -> str:
    # Market codes become table values and labels: short, no separators or spaces.
    if not raw.replace("_", "").replace("-", "").isalnum() or len(raw) > 16:
        raise r.error(f"{raw!r} is not a market code (letters and digits, e.g. TW)", row=row, column="market")
    return raw


def _read_apps(path: Path) -> list[CatalogApp]:
    r = _Reader(path, ("app_id", "name", "category"), ("aliases", "reach", "market"))
    apps: list[CatalogApp] = []
    seen: dict[str, int] = {}
    for row, v in r.rows():
        app_id = r.text(row, v, "app_id")
        if app_id in seen:
            raise r.error(f"duplicate app_id {app_id!r} (first on row {seen[app_id]})", row=row, column="app_id")
        seen[app_id] = row
        apps.append(
            CatalogApp(
                app_id=app_id,
                name=r.text(row, v, "name"),
                category=r.text(row, v, "category"),
                aliases=_split_aliases(v.get("aliases", "")),
                reach=r.optional_number(row, v, "reach", 0.0, 1.0),
                market=[_market(r, row, m) for m in _split_aliases(v.get("market", ""))],
            )
        )
    if not apps:
        raise r.error("has no apps")
    return apps


def _check_sums(r: _Reader, sums: dict[tuple[str, ...], tuple[float, int]], what: str) -> None:
    for key, (total, first_row) in sums.items():
        if abs(total - 1.0) > SUM_TOLERANCE:
            label = " / ".join(key)
            raise r.error(f"shares for {what} {label} sum to {total:.4f}, not 1", row=first_row, column="share")


class _Distributions:
    """Checks the (owner, dimension, bucket, share) rows of per-owner distributions: known dimension, no bucket twice,
    shares summing to 1 per owner and dimension (checked by `check` once every row is read)."""

    def __init__(self, r: _Reader, what: str):
        self.r, self.what = r, what
        self.sums: dict[tuple[str, ...], tuple[float, int]] = {}
        self.seen: set[tuple[str, str, str]] = set()

    def row(self, row: int, v: dict[str, str], owner: str) -> tuple[str, str, float]:
        r = self.r
        dim = r.text(row, v, "dimension")
        if dim not in DIMENSION_NAMES:
            raise r.error(f"{dim!r} is not one of {', '.join(DIMENSION_NAMES)}", row=row, column="dimension")
        bucket = r.text(row, v, "bucket")
        if (owner, dim, bucket) in self.seen:
            raise r.error(f"bucket {bucket!r} appears twice for {owner} / {dim}", row=row, column="bucket")
        self.seen.add((owner, dim, bucket))
        share = r.number(row, v, "share", 0.0, 1.0)
        total, first = self.sums.get((owner, dim), (0.0, row))
        self.sums[(owner, dim)] = (total + share, first)
        return dim, bucket, share

    def check(self) -> None:
        _check_sums(self.r, self.sums, f"{self.what} / dimension")


def _read_audience(path: Path, app_ids: set[str]) -> list[AudienceRow]:
    r = _Reader(path, ("app_id", "dimension", "bucket", "share"))
    rows: list[AudienceRow] = []
    distributions = _Distributions(r, "app")
    for row, v in r.rows():
        app_id = r.text(row, v, "app_id")
        if app_id not in app_ids:
            raise r.error(f"app_id {app_id!r} is not in apps.csv", row=row, column="app_id")
        rows.append(AudienceRow(app_id, *distributions.row(row, v, app_id)))
    distributions.check()
    return rows


def _read_population(path: Path) -> list[PopulationRow]:
    r = _Reader(path, ("dimension", "bucket", "share"))
    rows: list[PopulationRow] = []
    sums: dict[tuple[str, ...], tuple[float, int]] = {}
    for row, v in r.rows():
        dim = r.text(row, v, "dimension")
        if dim not in DIMENSION_NAMES:
            raise r.error(f"{dim!r} is not one of {', '.join(DIMENSION_NAMES)}", row=row, column="dimension")
        share = r.number(row, v, "share", 0.0, 1.0)
        total, first = sums.get((dim,), (0.0, row))
        sums[(dim,)] = (total + share, first)
        rows.append(PopulationRow(dim, r.text(row, v, "bucket"), share))
    _check_sums(r, sums, "dimension")
    return rows


def _read_segments(path: Path) -> list[SegmentInfo]:
    r = _Reader(path, ("segment_id", "name", "description", "size"), ("aliases", "market", *LOCALIZED_SEGMENT_COLUMNS))
    segments: list[SegmentInfo] = []
    seen: dict[str, int] = {}
    for row, v in r.rows():
        sid = r.text(row, v, "segment_id")
        if sid in seen:
            raise r.error(f"duplicate segment_id {sid!r} (first on row {seen[sid]})", row=row, column="segment_id")
        seen[sid] = row
        segments.append(
            SegmentInfo(
                id=sid,
                name=r.text(row, v, "name"),
                description=v.get("description", ""),
                size=r.whole(row, v, "size") if v.get("size") else None,
                aliases=_split_aliases(v.get("aliases", "")),
                market=_market(r, row, v["market"]) if v.get("market") else None,
                **{column: v.get(column, "") for column in LOCALIZED_SEGMENT_COLUMNS},
            )
        )
    if not segments:
        raise r.error("has no segments")
    return segments


def _read_segment_apps(path: Path, segment_ids: set[str], app_ids: set[str]) -> list[SegmentAppRow]:
    r = _Reader(path, ("segment_id", "app_id", "confidence"), ("penetration",))
    rows: list[SegmentAppRow] = []
    seen: set[tuple[str, str]] = set()
    for row, v in r.rows():
        sid = r.text(row, v, "segment_id")
        if sid not in segment_ids:
            raise r.error(f"segment_id {sid!r} is not in segments.csv", row=row, column="segment_id")
        app_id = r.text(row, v, "app_id")
        if app_id not in app_ids:
            raise r.error(f"app_id {app_id!r} is not in apps.csv", row=row, column="app_id")
        if (sid, app_id) in seen:
            raise r.error(f"app {app_id!r} is listed twice for {sid}", row=row, column="app_id")
        seen.add((sid, app_id))
        confidence = r.number(row, v, "confidence", 0.0, 1.0)
        rows.append(SegmentAppRow(sid, app_id, confidence, r.optional_number(row, v, "penetration", 0.0, 1.0)))
    return rows


def _read_segment_audience(path: Path, segment_ids: set[str]) -> list[SegmentAudienceRow]:
    r = _Reader(path, ("segment_id", "dimension", "bucket", "share", "n"))
    rows: list[SegmentAudienceRow] = []
    distributions = _Distributions(r, "segment")
    sizes: dict[tuple[str, str], int] = {}
    for row, v in r.rows():
        sid = r.text(row, v, "segment_id")
        if sid not in segment_ids:
            raise r.error(f"segment_id {sid!r} is not in segments.csv", row=row, column="segment_id")
        dim, bucket, share = distributions.row(row, v, sid)
        n = r.whole(row, v, "n")
        # n counts the people behind the whole distribution, so every bucket of it states the same n.
        if sizes.setdefault((sid, dim), n) != n:
            raise r.error(f"n is {n} here but {sizes[(sid, dim)]} on an earlier row of {sid} / {dim}", row=row,
                          column="n")
        rows.append(SegmentAudienceRow(sid, dim, bucket, share, n))
    distributions.check()
    return rows


def _read_categories(path: Path) -> list[CategoryLabels]:
    r = _Reader(path, ("category", "label_en"), ("label_zh_tw", "label_zh_cn"))
    out: list[CategoryLabels] = []
    seen: dict[str, int] = {}
    for row, v in r.rows():
        category = r.text(row, v, "category")
        if category in seen:
            raise r.error(f"duplicate category {category!r} (first on row {seen[category]})", row=row,
                          column="category")
        seen[category] = row
        out.append(CategoryLabels(category=category, label_en=r.text(row, v, "label_en"),
                                  label_zh_tw=v.get("label_zh_tw", ""), label_zh_cn=v.get("label_zh_cn", "")))
    return out


def _read_app_reach(path: Path, app_ids: set[str]) -> list[AppReachRow]:
    r = _Reader(path, ("app_id", "market", "reach"))
    rows: list[AppReachRow] = []
    seen: dict[tuple[str, str], int] = {}
    for row, v in r.rows():
        app_id = r.text(row, v, "app_id")
        if app_id not in app_ids:
            raise r.error(f"app_id {app_id!r} is not in apps.csv", row=row, column="app_id")
        market = _market(r, row, r.text(row, v, "market"))
        if (app_id, market) in seen:
            raise r.error(f"{app_id} / {market} is listed twice (first on row {seen[(app_id, market)]})", row=row,
                          column="market")
        seen[(app_id, market)] = row
        rows.append(AppReachRow(app_id, market, r.number(row, v, "reach", 0.0, 1.0)))
    return rows


REQUIRED_FILES = ("apps.csv", "app_audience.csv", "segments.csv", "segment_apps.csv")
LOCALIZED_SEGMENT_COLUMNS = ("name_zh_tw", "name_zh_cn", "description_zh_tw", "description_zh_cn")


def read_dataset(directory: Path) -> Dataset:
    """Read and validate every file of a dataset directory; raises DatasetError on the first problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(str(directory), "is not a directory")
    for name in REQUIRED_FILES:
        if not (directory / name).is_file():
            raise DatasetError(name, f"is missing from {directory}")
    apps = _read_apps(directory / "apps.csv")
    app_ids = {a.app_id for a in apps}
    segments = _read_segments(directory / "segments.csv")
    segment_ids = {s.id for s in segments}

    def optional(name: str) -> Path | None:
        return directory / name if (directory / name).is_file() else None

    population, measured, categories, reach = (
        optional(n) for n in ("population.csv", "segment_audience.csv", "categories.csv", "app_reach.csv")
    )
    dataset = Dataset(
        apps=apps,
        audience=_read_audience(directory / "app_audience.csv", app_ids),
        population=_read_population(population) if population else [],
        segments=segments,
        segment_apps=_read_segment_apps(directory / "segment_apps.csv", segment_ids, app_ids),
        segment_audience=_read_segment_audience(measured, segment_ids) if measured else [],
        categories=_read_categories(categories) if categories else [],
        app_reach=_read_app_reach(reach, app_ids) if reach else [],
    )
    empty = sorted({s.id for s in segments} - {r.segment_id for r in dataset.segment_apps})
    if empty:
        raise DatasetError("segment_apps.csv", f"segment(s) {', '.join(empty[:5])} have no apps")
    return dataset
