"""Age and gender of a segment, pooled from the audience shares of its apps (figures come from data only).

The method is a tempered product of experts measured against the population baseline:

    log p(x) = log b(x) + τ · Σ_i w̃_i · (log p_i(x) − log b(x))  (then renormalised)

where p_i is app i's audience, b the population, w̃_i = w_i / Σ_j w_j the confidence weights normalised over
*all* input apps, and τ the effective number of independent experts given the weights and an assumed pairwise
redundancy ρ between apps (see `effective_experts`). docs/demographics.md explains the choice and the check
against an independent survey.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

from bot.models import (
    DIMENSIONS,
    Demographics,
    Distribution,
    Grounding,
    MeasuredAudience,
    PooledEstimate,
    Source,
)

# Pairwise redundancy between the apps of one segment: the one constant calibrated on the Lim et al. survey, by
# cross-validation over its respondents (scripts/eval_demographics.py --cross-validate; docs/demographics.md).
# Synthetic panels (--simulate) favoured 0.8 with a flat optimum; the survey's real segments favour sharper pooling.
REDUNDANCY = 0.6
# No bucket of an app counts as rarer than this fraction of the baseline, so a bucket an app lacks is "rare",
# not impossible: log(0) would let one app veto a bucket for the whole segment. Ordinary shares are untouched.
SMOOTHING = 0.01
# At or above this coverage the figures are data; below `min_coverage` they are an estimate.
FULL_COVERAGE = 0.95

# A weighted expert: (confidence weight, its distribution for one dimension, or None when it has no data).
Expert = tuple[float, Mapping[str, float] | None]


def _clean(value: float) -> float:
    # NaN, negative and infinite values carry no usable mass.
    return value if isinstance(value, int | float) and math.isfinite(value) and value > 0 else 0.0


def _shares(dist: Mapping[str, float], buckets: Sequence[str]) -> dict[str, float] | None:
    """The distribution as shares over `buckets` (missing buckets 0), or None when it has no mass."""
    values = {b: _clean(dist.get(b, 0.0)) for b in buckets}
    total = sum(values.values())
    if total <= 0:
        return None
    return {b: v / total for b, v in values.items()}


def normalize_percent(dist: Mapping[str, float], decimals: int = 1) -> dict[str, float]:
    """Any non-negative values (shares or percent) -> percent summing to exactly 100 at `decimals` places.

    Rounding uses the largest-remainder method so the displayed figures add up. Negative and NaN values count
    as 0; all-zero input gives a uniform split, empty input an empty dict.
    """
    if not dist:
        return {}
    values = {k: _clean(v) for k, v in dist.items()}
    peak = max(values.values())
    if peak > 0:
        # Scale first: the sum of a few values near the float maximum would overflow to inf.
        values = {k: v / peak for k, v in values.items()}
    total = sum(values.values())
    if total <= 0:
        values = dict.fromkeys(dist, 1.0)
        total = float(len(values))
    scale = 10**decimals
    units = 100 * scale
    exact = {k: v / total * units for k, v in values.items()}
    floors = {k: math.floor(x) for k, x in exact.items()}
    left = units - sum(floors.values())
    # Largest fractional part first; ties keep the input order so the output is deterministic.
    order = sorted(exact, key=lambda k: exact[k] - floors[k], reverse=True)
    for k in order[:left]:
        floors[k] += 1
    return {k: round(n / scale, decimals) for k, n in floors.items()}


_FIRST_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _age_key(bucket: str) -> tuple[int, float]:
    """Natural order of age bands: '<18' < '18-24' < '25-34' < '55+'; unlabelled bands go last."""
    match = _FIRST_NUMBER.search(bucket)
    if match is None:
        return (1, 0.0)
    start = float(match.group())
    head = bucket[: match.start()].strip().lower()
    if head.startswith(("<", "≤", "under", "below")):
        start -= 0.5
    return (0, start)


def bucket_order(dimension: str, distributions: Iterable[Mapping[str, float]]) -> list[str]:
    """Union of buckets in first-seen order (pass the population first); age bands sorted naturally."""
    seen: dict[str, None] = {}
    for dist in distributions:
        for bucket in dist:
            seen.setdefault(bucket, None)
    buckets = list(seen)
    if dimension == "age":
        buckets.sort(key=_age_key)
    return buckets


def effective_experts(weights: Sequence[float], redundancy: float = REDUNDANCY) -> float:
    """How many independent experts `weights` are worth when every pair of apps is `redundancy`-correlated.

    The variance of a weighted mean of n equally noisy, ρ-correlated estimates is σ²·(ρ + (1−ρ)·Σw̃²), so it
    is worth 1 / (ρ + (1−ρ)·Σw̃²) independent ones: 1 for a single app, n for n independent equal apps (ρ=0),
    and never more than 1/ρ however long the list.
    """
    total = sum(weights)
    if total <= 0:
        return 1.0
    concentration = sum((w / total) ** 2 for w in weights)
    return 1.0 / (redundancy + (1.0 - redundancy) * concentration)


def mixture(experts: Sequence[Expert], buckets: Sequence[str]) -> dict[str, float] | None:
    """Plain confidence-weighted mixture of the experts that have data (shares), or None when none has."""
    acc = dict.fromkeys(buckets, 0.0)
    total = 0.0
    for raw_weight, dist in experts:
        weight = _clean(raw_weight)
        shares = _shares(dist, buckets) if dist else None
        if shares is None or weight <= 0:
            continue
        total += weight
        for b in buckets:
            acc[b] += weight * shares[b]
    if total <= 0:
        return None
    return {b: v / total for b, v in acc.items()}


def _floored(shares: Mapping[str, float], floor: Mapping[str, float]) -> dict[str, float]:
    """`shares` with every bucket raised to at least its floor, renormalised (unchanged when none is below)."""
    if all(shares[b] >= floor[b] for b in floor):
        return dict(shares)
    raised = {b: max(shares[b], floor[b]) for b in floor}
    total = sum(raised.values())
    return {b: v / total for b, v in raised.items()}


def pool(
    experts: Sequence[Expert],
    baseline: Mapping[str, float],
    buckets: Sequence[str],
    redundancy: float = REDUNDANCY,
) -> dict[str, float]:
    """Tempered product of experts relative to `baseline`, as shares over `buckets`.

    Experts without data sit at the baseline: they add nothing to the sum but keep their share of the weight,
    which shrinks thin evidence toward the population.
    """
    if not buckets:
        return {}
    base = _shares(baseline, buckets)
    if base is None:
        base = {b: 1.0 / len(buckets) for b in buckets}
    # A bucket the population lacks but an app has: keep every log ratio finite.
    base = _floored(base, {b: SMOOTHING / len(buckets) for b in buckets})
    weights = [_clean(w) for w, _ in experts]
    total = sum(weights)
    if total <= 0:
        return base
    tau = effective_experts(weights, redundancy)
    log_p = {b: math.log(base[b]) for b in buckets}
    for weight, (_, dist) in zip(weights, experts, strict=True):
        shares = _shares(dist, buckets) if dist else None
        if shares is None or weight <= 0:
            continue
        k = tau * weight / total
        smoothed = _floored(shares, {b: SMOOTHING * base[b] for b in buckets})
        for b in buckets:
            log_p[b] += k * (math.log(smoothed[b]) - math.log(base[b]))
    top = max(log_p.values())
    unnorm = {b: math.exp(v - top) for b, v in log_p.items()}
    z = sum(unnorm.values())
    return {b: v / z for b, v in unnorm.items()}


def coverage_source(coverage: float, min_coverage: float) -> Source:
    if coverage >= FULL_COVERAGE:
        return "data"
    if coverage >= min_coverage:
        return "mixed"
    return "ai_estimate"


def _experts(grounding: Grounding) -> tuple[list[tuple[float, str | None]], float]:
    """(weight, app_id with data or None) per input app, and the coverage of the confidence mass."""
    weights = [_clean(app.weight) for app in grounding.apps]
    if sum(weights) <= 0:
        # No usable confidences at all: every app counts the same rather than none counting.
        weights = [1.0] * len(grounding.apps)
    rows: list[tuple[float, str | None]] = []
    for app, weight in zip(grounding.apps, weights, strict=True):
        audience = grounding.audience.get(app.app_id) if app.app_id else None
        has_data = bool(audience) and any(_shares(d, list(d)) for d in audience.values())
        rows.append((weight, app.app_id if has_data else None))
    total = sum(weights)
    covered = sum(w for w, app_id in rows if app_id is not None)
    return rows, (covered / total if total > 0 else 0.0)


def pool_demographics(grounding: Grounding, *, min_coverage: float, redundancy: float = REDUNDANCY) -> Demographics:
    """Age and gender of the segment in percent, pooled from its apps' audience shares.

    Without a population baseline there is no skew to measure, so each dimension falls back to the plain
    confidence-weighted mixture of the apps that have data (empty when none has).
    """
    rows, coverage = _experts(grounding)
    result: dict[str, dict[str, float]] = {}
    for dim in DIMENSIONS:
        population = grounding.population.get(dim, {})
        experts: list[Expert] = [(w, grounding.audience[app_id].get(dim) if app_id else None) for w, app_id in rows]
        buckets = bucket_order(dim, [population, *(d for _, d in experts if d)])
        if not buckets:
            result[dim] = {}
            continue
        if _shares(population, buckets) is None:
            shares = mixture(experts, buckets) or {}
        else:
            shares = pool(experts, population, buckets, redundancy)
        result[dim] = normalize_percent(shares)
    # The source is judged on the coverage as reported, so the two never disagree at a threshold.
    coverage = round(coverage, 4)
    return Demographics(
        age=result["age"],
        gender=result["gender"],
        source=coverage_source(coverage, min_coverage),
        coverage=coverage,
    )


# --- measured beats modelled ---------------------------------------------------------------------------------------

# Pooled figures further than this from a segment's measured audience (total-variation distance in points, per
# dimension; for gender, the difference in the female share) are flagged in the logs.
DISAGREEMENT_POINTS = 15.0


def distance_points(a: Distribution, b: Distribution) -> float:
    """Total-variation distance between two percent distributions, in points (0 = equal, 100 = disjoint)."""
    return round(0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in {*a, *b}), 1)


def with_measured(pooled: Demographics, measured: MeasuredAudience | None, *, min_sample: int) -> Demographics:
    """The segment's measured audience when it can be shown, the pooled estimate kept beside it for comparison.

    It is shown when it covers every dimension the pooled figures have and rests on at least `min_sample` people
    (`n` is the smallest dimension's). Otherwise the pooled figures stay, with `n` and the reason, so the card can
    say why the measurement is not shown. Without a measurement the pooled figures are returned unchanged.
    """
    if measured is None or not any(measured.shares.values()):
        return pooled
    dimensions = [d for d in DIMENSIONS if getattr(pooled, d)] or list(DIMENSIONS)
    shown = {d: normalize_percent(measured.shares.get(d) or {}) for d in dimensions}
    n = min((measured.n.get(d, 0) for d in dimensions if shown[d]), default=0)
    if not all(shown.values()):
        return pooled.model_copy(update={"n": n, "fallback_reason": "incomplete"})
    if n < min_sample:
        return pooled.model_copy(update={"n": n, "fallback_reason": "small_sample"})
    if pooled.source == "measured":  # already decided: nothing to replace
        return pooled
    estimate = PooledEstimate(age=pooled.age, gender=pooled.gender, source=pooled.source, coverage=pooled.coverage)
    return Demographics(
        age=shown.get("age", {}),
        gender=shown.get("gender", {}),
        source="measured",
        coverage=pooled.coverage,
        n=n,
        pooled=estimate,
    )


def disagreement(demographics: Demographics) -> dict[str, float]:
    """Per dimension, how far the pooled estimate lies from the measured audience shown (points); {} otherwise."""
    pooled = demographics.pooled
    if demographics.source != "measured" or pooled is None:
        return {}
    return {
        d: distance_points(getattr(demographics, d), getattr(pooled, d))
        for d in DIMENSIONS
        if getattr(demographics, d) and getattr(pooled, d)
    }
