"""Checks demographic pooling against an independent survey of app users, and explains how its constant was chosen.

    python scripts/eval_demographics.py [SURVEY_DIR] [--k 4]   # the check (default ../shared/eval/lim2015)
    python scripts/eval_demographics.py --simulate              # choose the redundancy on synthetic panels

The survey (Lim et al. 2015, app categories used per respondent, gender, age) is read at run time and never
copied: its licence is unknown. Nothing in bot/demographics.py was fitted to it. Protocol, per app category A:
the segment is the respondents who use A; its "app list" is the k other categories most used in the segment,
with the usage rate as confidence; each category's audience is the demographics of its users; the baseline is
all respondents; the truth is the segment's own demographics. Age buckets are the survey's own sextiles.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a plain script from a checkout: make the package importable without installing it.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.demographics import REDUNDANCY, pool_demographics  # noqa: E402
from bot.models import Demographics, Grounding, GroundingApp  # noqa: E402

DEFAULT_SURVEY = ROOT.parent / "shared" / "eval" / "lim2015"
AGE_BANDS = 6

Estimator = Callable[[Grounding], Demographics]


@dataclass(frozen=True)
class Panel:
    """Respondents as bitmasks (bit r = respondent r), so group sizes are popcounts of ANDs."""

    size: int
    apps: dict[str, int]
    gender: dict[str, int]
    age: dict[str, int]

    def shares(self, mask: int) -> dict[str, dict[str, float]]:
        n = mask.bit_count()
        return {
            dim: {b: (mask & m).bit_count() / n for b, m in groups.items()}
            for dim, groups in (("age", self.age), ("gender", self.gender))
        }


@dataclass(frozen=True)
class Case:
    name: str
    size: int
    grounding: Grounding
    truth: dict[str, dict[str, float]]  # dimension -> bucket -> share


@dataclass(frozen=True)
class Score:
    female_mae: float  # mean absolute error of the female share, points
    age_tv: float  # mean total-variation distance of the age distribution, points


def _build_panel(rows: Sequence[tuple[bool, float, frozenset[str]]], apps: Sequence[str]) -> Panel:
    # Whole-year cuts so the labels say exactly who is in each band.
    cuts = [round(c) for c in statistics.quantiles([age for _, age, _ in rows], n=AGE_BANDS)]
    labels = age_labels(cuts)
    app_masks = dict.fromkeys(apps, 0)
    gender = {"female": 0, "male": 0}
    age = dict.fromkeys(labels, 0)
    for r, (female, years, used) in enumerate(rows):
        bit = 1 << r
        gender["female" if female else "male"] |= bit
        age[labels[sum(years >= c for c in cuts)]] |= bit
        for app in used:
            app_masks[app] |= bit
    return Panel(size=len(rows), apps=app_masks, gender=gender, age=age)


def age_labels(cuts: Sequence[float]) -> list[str]:
    """Labels for bands split at whole-year `cuts` (a respondent at a cut belongs to the upper band)."""
    edges = [int(c) for c in cuts]
    middle = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    return [f"<{edges[0]}", *middle, f"{edges[-1]}+"]


def load_survey(folder: Path) -> Panel:
    """Respondents with a known gender and age, with the categories they use."""

    def read(name: str) -> list[dict[str, str]]:
        # The files are Latin-1 (free-text columns carry accented names).
        with (folder / name).open(encoding="latin-1", newline="") as f:
            return list(csv.DictReader(f))

    users, types = read("app_user_clean.csv"), read("app_type.csv")
    categories = [c for c in types[0] if c != "ID"]
    by_id = {t["ID"]: t for t in types}
    rows = []
    for u in users:
        t = by_id.get(u["ID"])
        if t is None or u["Gender"] not in ("Female", "Male"):
            continue
        try:
            years = float(u["Age"])
        except ValueError:
            continue
        rows.append((u["Gender"] == "Female", years, frozenset(c for c in categories if t[c] == "1")))
    return _build_panel(rows, categories)


def cases(panel: Panel, k: int) -> list[Case]:
    """One segment per app: its users, known by the k other apps they use most, confidence = usage rate."""
    audience = {app: panel.shares(mask) for app, mask in panel.apps.items() if mask}
    population = panel.shares((1 << panel.size) - 1)
    out = []
    for name, seg in panel.apps.items():
        n = seg.bit_count()
        if n == 0:
            continue
        rates = {a: (seg & m).bit_count() / n for a, m in panel.apps.items() if a != name and m}
        top = sorted(rates, key=lambda a: (-rates[a], a))[:k]
        apps = [GroundingApp(name=a, app_id=a, weight=rates[a], has_audience=True) for a in top if rates[a] > 0]
        grounding = Grounding(apps=apps, audience={a.name: audience[a.name] for a in apps}, population=population)
        out.append(Case(name=name, size=n, grounding=grounding, truth=panel.shares(seg)))
    return out


def score(all_cases: Sequence[Case], estimate: Estimator) -> Score:
    female, age = [], []
    for case in all_cases:
        est = estimate(case.grounding)
        female.append(abs(est.gender.get("female", 0.0) - 100 * case.truth["gender"]["female"]))
        truth_age = case.truth["age"]
        buckets = set(truth_age) | set(est.age)
        age.append(0.5 * sum(abs(est.age.get(b, 0.0) - 100 * truth_age.get(b, 0.0)) for b in buckets))
    return Score(statistics.fmean(female), statistics.fmean(age))


def mixture_estimate(grounding: Grounding) -> Demographics:
    """The baseline to beat: the plain confidence-weighted mixture of the apps' audiences.

    It is what the pooling itself falls back to when there is no population to measure skew against.
    """
    return pool_demographics(grounding.model_copy(update={"population": {}}), min_coverage=0.5)


def pooled_estimate(redundancy: float = REDUNDANCY) -> Estimator:
    return lambda g: pool_demographics(g, min_coverage=0.5, redundancy=redundancy)


def _binomial_mad(n: int, p: float) -> float:
    """E|X − np| for X ~ Binomial(n, p), by de Moivre's closed form (exact, no sampling)."""
    m = math.floor(n * p) + 1
    if p <= 0 or p >= 1 or m > n:
        return 0.0
    log_comb = math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1)
    return 2 * m * math.exp(log_comb + m * math.log(p) + (n - m + 1) * math.log1p(-p))


def noise_floor(all_cases: Sequence[Case]) -> Score:
    """Expected error of a bootstrap resample of each segment's own respondents against the segment.

    Computed exactly rather than by resampling: each bucket's resampled count is Binomial(n, share), and the
    expected total-variation distance is half the sum of the per-bucket expected absolute deviations.
    """
    female, age = [], []
    for case in all_cases:
        n = case.size
        female.append(100 * _binomial_mad(n, case.truth["gender"]["female"]) / n)
        age.append(50 * sum(_binomial_mad(n, s) for s in case.truth["age"].values()) / n)
    return Score(statistics.fmean(female), statistics.fmean(age))


@dataclass(frozen=True)
class SurveyReport:
    respondents: int
    segments: int
    age_buckets: list[str]
    mixture: Score
    pooled: Score
    floor: Score


def evaluate_survey(folder: Path, k: int = 4) -> SurveyReport:
    panel = load_survey(folder)
    all_cases = cases(panel, k)
    return SurveyReport(
        respondents=panel.size,
        segments=len(all_cases),
        age_buckets=list(panel.age),
        mixture=score(all_cases, mixture_estimate),
        pooled=score(all_cases, pooled_estimate()),
        floor=noise_floor(all_cases),
    )


# --- Synthetic panels: where the redundancy constant comes from -------------------------------------------


def synthetic_panel(rng: random.Random, people: int = 5000, apps: int = 24, topics: int = 4) -> Panel:
    """A population whose app use depends on gender and age directly and through shared latent traits.

    Each person has a breadth (how many apps they use at all: log-normal, and larger for younger people, as
    app-usage studies generally find) and an interest in each of a few topics that leans on gender and age.
    Each app has a popularity (log-normal), belongs to one topic, and has its own direct gender and age skew.
    A person uses app j with probability 1 − exp(−breadth · popularity_j · affinity_j). How strongly each
    mechanism acts is drawn per panel from broad ranges, so the calibration averages over many worlds. Apps
    used together share demographics for reasons that partly do and partly do not carry over to another app:
    the redundancy the pooling has to discount.
    """
    breadth_sd = rng.uniform(0.4, 1.2)
    breadth_lean = (rng.uniform(-0.2, 0.2), -rng.uniform(0.0, 0.6))  # (per ±1 gender, per SD of age)
    topic_leans = [(rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)) for _ in range(topics)]
    direct_sd = rng.uniform(0.2, 0.5)
    app_params = [
        (
            math.exp(rng.gauss(0, 1)),  # popularity
            rng.randrange(topics),
            rng.uniform(0.3, 1.5),  # topic loading
            rng.gauss(0, direct_sd),  # direct gender skew (per ±1 gender)
            rng.gauss(0, direct_sd),  # direct age skew (per SD of age)
        )
        for _ in range(apps)
    ]
    total_popularity = sum(p[0] for p in app_params)
    rows = []
    for _ in range(people):
        sex = rng.choice((-1.0, 1.0))
        age = rng.gauss(0, 1)  # standardised; reported in years below
        breadth = 5 * math.exp(breadth_lean[0] * sex + breadth_lean[1] * age + rng.gauss(0, breadth_sd))
        interest = [g * sex + a * age + rng.gauss(0, 1) for g, a in topic_leans]
        used = set()
        for j, (popularity, topic, loading, g, a) in enumerate(app_params):
            # −loading²/2 keeps the mean affinity at 1 whatever the loading, so popularity stays comparable.
            affinity = math.exp(loading * interest[topic] - loading**2 / 2 + g * sex + a * age)
            if rng.random() < 1 - math.exp(-breadth * popularity / total_popularity * affinity):
                used.add(f"app{j:02d}")
        rows.append((sex > 0, 40 + 15 * age, frozenset(used)))
    return _build_panel(rows, [f"app{j:02d}" for j in range(apps)])


def calibrate(
    panels: int = 32, ks: Sequence[int] = (3, 4, 6, 10), grid: Sequence[float] | None = None, seed: int = 2015
) -> tuple[dict[float, float], float]:
    """Mean error (female MAE + age TV, points) per redundancy value over synthetic panels, and the mixture's."""
    grid = grid or [round(0.05 * i, 2) for i in range(1, 21)]
    rng = random.Random(seed)
    totals = dict.fromkeys(grid, 0.0)
    plain = 0.0
    runs = panels * len(ks)
    for _ in range(panels):
        panel = synthetic_panel(rng)
        for k in ks:
            all_cases = cases(panel, k)
            s = score(all_cases, mixture_estimate)
            plain += (s.female_mae + s.age_tv) / runs
            for rho in grid:
                s = score(all_cases, pooled_estimate(rho))
                totals[rho] += (s.female_mae + s.age_tv) / runs
    return totals, plain


def _print_survey(folder: Path, k: int) -> None:
    report = evaluate_survey(folder, k)
    print(
        f"Lim et al. 2015 survey: {report.respondents} respondents, {report.segments} segments "
        f"(users of each category), top-{k} co-used categories as the app list"
    )
    print(f"age buckets (survey sextiles): {', '.join(report.age_buckets)}; redundancy ρ = {REDUNDANCY}")
    print(f"{'method':<44}{'female share MAE':>18}{'age TV':>10}")
    for label, s in (
        ("(a) confidence-weighted mixture", report.mixture),
        ("(b) tempered product of experts (ours)", report.pooled),
        ("(c) sampling-noise floor (exact bootstrap)", report.floor),
    ):
        print(f"{label:<44}{s.female_mae:>18.2f}{s.age_tv:>10.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("survey", nargs="?", type=Path, default=DEFAULT_SURVEY, help="folder of the lim2015 CSVs")
    parser.add_argument("--k", type=int, default=4, help="categories in each segment's app list")
    parser.add_argument("--simulate", action="store_true", help="print the synthetic calibration instead")
    args = parser.parse_args(argv)
    if args.simulate:
        totals, plain = calibrate()
        best = min(totals, key=lambda r: totals[r])
        print("redundancy ρ   mean error on synthetic panels (female MAE + age TV, points)")
        print(f"{'mixture':>12}   {plain:7.3f}")
        for rho, err in totals.items():
            print(f"{rho:>12.2f}   {err:7.3f}{'   <- lowest' if rho == best else ''}")
        return 0
    if not (args.survey / "app_user_clean.csv").is_file():
        print(f"survey not found at {args.survey}", file=sys.stderr)
        return 2
    _print_survey(args.survey, args.k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
