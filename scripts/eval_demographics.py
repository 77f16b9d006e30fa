"""Checks demographic pooling against an independent survey of app users, and how its constant was chosen.

    python scripts/eval_demographics.py [SURVEY_DIR]          # the check (default ../shared/eval/lim2015)
    python scripts/eval_demographics.py --cross-validate      # the cross-validated calibration of ρ on it
    python scripts/eval_demographics.py --simulate            # the redundancy on synthetic panels

The survey (Lim et al. 2015, app categories used per respondent, gender, age) is read at run time and never
copied: its licence is unknown. Only the redundancy ρ of bot/demographics.py was calibrated on it, by
cross-validation over respondents (`cross_validate`). The protocol (`protocol_cases`), as docs/demographics.md
states it: respondents are split into two random halves; the first gives each of the 23 categories its audience
(standard age bands, gender) and the population baseline; a segment is the second-half respondents who use both
categories of a pair, for every pair with at least 40 of them; its app list is its 10 categories of highest lift,
each with confidence = the share of the segment using it; the truth is the segment's own gender and age; the
metrics are the mean absolute error of the female share and the mean total-variation distance of age, in points.
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


# --- The survey check --------------------------------------------------------------------------------------

STANDARD_AGE_BANDS = ("<18", "18-24", "25-34", "35-44", "45-54", "55+")
# A segment is the second-half respondents using both categories of a pair with at least this many of them.
PAIR_MIN_RESPONDENTS = 40
# Categories in each segment's app list: those with the highest lift.
LIST_LENGTH = 10
# One random halving moves the figures by about ±1.3 points (the 231 segments share their audiences), so every
# figure is the mean over this many halvings, seeded from SPLIT_SEED.
SPLITS = 10
SPLIT_SEED = 2015
# The redundancy the synthetic panels favour (`--simulate`), shipped until ρ was calibrated on the survey.
SYNTHETIC_REDUNDANCY = 0.8
# Values of the redundancy ρ tried when it is calibrated on the survey.
REDUNDANCY_GRID = tuple(round(0.05 * i, 2) for i in range(6, 21))


@dataclass(frozen=True)
class Respondent:
    female: bool
    age: float
    categories: frozenset[str]


def standard_age_band(years: float) -> str:
    if years < 18:
        return "<18"
    for band in STANDARD_AGE_BANDS[1:-1]:
        if years <= int(band.split("-")[1]) + 0.999:
            return band
    return "55+"


def load_respondents(folder: Path) -> tuple[list[Respondent], list[str]]:
    """Respondents with a known gender and age, with the categories they use, and the 23 category names."""

    def read(name: str) -> list[dict[str, str]]:
        # The files are Latin-1 (free-text columns carry accented names).
        with (folder / name).open(encoding="latin-1", newline="") as f:
            return list(csv.DictReader(f))

    users, types = read("app_user_clean.csv"), read("app_type.csv")
    categories = [c for c in types[0] if c != "ID"]
    by_id = {t["ID"]: t for t in types}
    respondents = []
    for u in users:
        t = by_id.get(u["ID"])
        if t is None or u["Gender"] not in ("Female", "Male"):
            continue
        try:
            years = float(u["Age"])
        except ValueError:
            continue
        used = frozenset(c for c in categories if t[c] == "1")
        respondents.append(Respondent(u["Gender"] == "Female", years, used))
    return respondents, categories


def halves(respondents: Sequence[Respondent], rng: random.Random) -> tuple[list[Respondent], list[Respondent]]:
    """Two random halves (the first one smaller by one when the count is odd)."""
    shuffled = list(respondents)
    rng.shuffle(shuffled)
    return shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2 :]


def _standard_panel(respondents: Sequence[Respondent], categories: Sequence[str]) -> Panel:
    app_masks = dict.fromkeys(categories, 0)
    gender = {"female": 0, "male": 0}
    age = dict.fromkeys(STANDARD_AGE_BANDS, 0)
    for r, person in enumerate(respondents):
        bit = 1 << r
        gender["female" if person.female else "male"] |= bit
        age[standard_age_band(person.age)] |= bit
        for category in person.categories:
            app_masks[category] |= bit
    return Panel(size=len(respondents), apps=app_masks, gender=gender, age=age)


def protocol_cases(
    first: Sequence[Respondent],
    second: Sequence[Respondent],
    categories: Sequence[str],
    min_respondents: int = PAIR_MIN_RESPONDENTS,
    list_length: int = LIST_LENGTH,
) -> list[Case]:
    """The survey protocol of docs/demographics.md: audiences and baseline from `first`, segments from `second`.

    A segment is the respondents of `second` who use both categories of a pair, for every pair with at least
    `min_respondents` of them. Its app list is its `list_length` categories of highest lift (share of the segment
    using it ÷ share of all of `second`; ties by name), each with confidence = the share of the segment using it.
    The categories' reach in `first` is not an input of the pooling, so it is not computed.
    """
    audience_panel = _standard_panel(first, categories)
    audience = {c: audience_panel.shares(m) for c, m in audience_panel.apps.items() if m}
    population = audience_panel.shares((1 << audience_panel.size) - 1)
    panel = _standard_panel(second, categories)
    base_rate = {c: m.bit_count() / panel.size for c, m in panel.apps.items()}
    out = []
    for a, b in itertools.combinations(categories, 2):
        segment = panel.apps[a] & panel.apps[b]
        n = segment.bit_count()
        if n < min_respondents:
            continue
        rate = {c: (segment & m).bit_count() / n for c, m in panel.apps.items()}
        lift = {c: rate[c] / base_rate[c] for c in categories if rate[c] > 0}
        top = sorted(lift, key=lambda c: (-lift[c], c))[:list_length]
        apps = [GroundingApp(name=c, app_id=c, weight=rate[c], has_audience=c in audience) for c in top]
        grounding = Grounding(apps=apps, audience={c: audience[c] for c in top if c in audience}, population=population)
        out.append(Case(name=f"{a} & {b}", size=n, grounding=grounding, truth=panel.shares(segment)))
    return out


def _mean(scores: Sequence[Score]) -> Score:
    return Score(statistics.fmean(s.female_mae for s in scores), statistics.fmean(s.age_tv for s in scores))


def _error(s: Score) -> float:
    return s.female_mae + s.age_tv


@dataclass(frozen=True)
class SurveyReport:
    respondents: int
    splits: int
    segments: float  # per split, on average
    redundancy: float
    mixture: Score
    pooled: Score
    floor: Score


def split_cases(respondents: Sequence[Respondent], categories: Sequence[str], splits: int) -> list[list[Case]]:
    rng = random.Random(SPLIT_SEED)
    return [protocol_cases(*halves(respondents, rng), categories) for _ in range(splits)]


def evaluate_survey(folder: Path, splits: int = SPLITS, redundancy: float = REDUNDANCY) -> SurveyReport:
    """The protocol's figures with the shipped constants (or `redundancy`), averaged over `splits` halvings."""
    respondents, categories = load_respondents(folder)
    per_split = split_cases(respondents, categories, splits)
    return SurveyReport(
        respondents=len(respondents),
        splits=splits,
        segments=statistics.fmean(len(c) for c in per_split),
        redundancy=redundancy,
        mixture=_mean([score(c, mixture_estimate) for c in per_split]),
        pooled=_mean([score(c, pooled_estimate(redundancy)) for c in per_split]),
        floor=_mean([noise_floor(c) for c in per_split]),
    )


def choose_redundancy(per_split: Sequence[Sequence[Case]], grid: Sequence[float] = REDUNDANCY_GRID) -> float:
    """The ρ of `grid` with the lowest mean error (female MAE + age TV) over the given protocol runs."""
    errors = {rho: statistics.fmean(_error(score(cases, pooled_estimate(rho))) for cases in per_split) for rho in grid}
    return min(grid, key=lambda rho: (errors[rho], rho))


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    chosen: list[float]  # ρ chosen on each fold's training respondents
    pooled: Score  # mean over the held-out folds, each with its own ρ
    synthetic: Score  # the same folds with the ρ chosen on synthetic panels, for comparison
    mixture: Score
    floor: Score


def cross_validate(
    folder: Path, splits: int = SPLITS, grid: Sequence[float] = REDUNDANCY_GRID, inner_splits: int = 2
) -> CrossValidation:
    """Repeated 2-fold cross-validation over respondents of the calibration of ρ.

    Each of `splits` random halvings gives two folds. For a fold, ρ is chosen on the other half alone (the
    protocol run inside it: its own random halves, pairs of at least half the usual respondents, both ways
    round, `inner_splits` times) and then scored on the protocol with the other half as the first half (the
    audiences, as a warehouse would hold them) and the held-out fold as the second (the segments and their
    truth). No held-out respondent's answers are seen while ρ is chosen.
    """
    respondents, categories = load_respondents(folder)
    rng = random.Random(SPLIT_SEED)
    chosen, pooled, synthetic, mixture, floor = [], [], [], [], []
    for _ in range(splits):
        one, other = halves(respondents, rng)
        for train, held_out in ((one, other), (other, one)):
            inner = []
            for _ in range(inner_splits):
                x, y = halves(train, rng)
                minimum = PAIR_MIN_RESPONDENTS // 2
                inner += [protocol_cases(x, y, categories, minimum), protocol_cases(y, x, categories, minimum)]
            rho = choose_redundancy(inner, grid)
            cases_ = protocol_cases(train, held_out, categories)
            chosen.append(rho)
            pooled.append(score(cases_, pooled_estimate(rho)))
            synthetic.append(score(cases_, pooled_estimate(SYNTHETIC_REDUNDANCY)))
            mixture.append(score(cases_, mixture_estimate))
            floor.append(noise_floor(cases_))
    return CrossValidation(len(chosen), chosen, _mean(pooled), _mean(synthetic), _mean(mixture), _mean(floor))


def calibrate_on_survey(folder: Path, splits: int = SPLITS, grid: Sequence[float] = REDUNDANCY_GRID) -> float:
    """The same choice as in each fold, made on all respondents: the ρ to ship."""
    respondents, categories = load_respondents(folder)
    return choose_redundancy(split_cases(respondents, categories, splits), grid)


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


def _print_survey(folder: Path, splits: int) -> None:
    report = evaluate_survey(folder, splits)
    print(
        f"Lim et al. 2015 survey: {report.respondents} respondents, {report.splits} random halvings, "
        f"{report.segments:.0f} segments per halving (pairs of categories, >= {PAIR_MIN_RESPONDENTS} respondents), "
        f"top-{LIST_LENGTH} categories by lift as the app list; redundancy ρ = {report.redundancy}"
    )
    _print_scores(
        [
            ("(a) confidence-weighted mixture", report.mixture),
            ("(b) tempered product of experts (shipped)", report.pooled),
            ("(c) sampling-noise floor (exact bootstrap)", report.floor),
        ]
    )


def _print_cross_validation(folder: Path, splits: int) -> None:
    cv = cross_validate(folder, splits)
    counts = {rho: cv.chosen.count(rho) for rho in sorted(set(cv.chosen))}
    print(
        f"Cross-validated calibration of ρ: {cv.folds} folds ({splits} random halvings, each half held out once); "
        "ρ chosen per fold: " + ", ".join(f"{rho} ×{n}" for rho, n in counts.items())
    )
    print(f"ρ chosen the same way on all respondents: {calibrate_on_survey(folder, splits)}")
    _print_scores(
        [
            ("(a) confidence-weighted mixture", cv.mixture),
            ("(b) tempered product, ρ chosen without the fold", cv.pooled),
            (f"    the same folds, ρ = {SYNTHETIC_REDUNDANCY} (synthetic panels)", cv.synthetic),
            ("(c) sampling-noise floor (exact bootstrap)", cv.floor),
        ]
    )


def _print_scores(rows: Sequence[tuple[str, Score]]) -> None:
    print(f"{'method':<50}{'female share MAE':>18}{'age TV':>10}")
    for label, s in rows:
        print(f"{label:<50}{s.female_mae:>18.2f}{s.age_tv:>10.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("survey", nargs="?", type=Path, default=DEFAULT_SURVEY, help="folder of the lim2015 CSVs")
    parser.add_argument("--splits", type=int, default=SPLITS, help="random halvings to average over")
    parser.add_argument("--cross-validate", action="store_true", help="cross-validate the calibration of ρ")
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
    if args.cross_validate:
        _print_cross_validation(args.survey, args.splits)
    else:
        _print_survey(args.survey, args.splits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
