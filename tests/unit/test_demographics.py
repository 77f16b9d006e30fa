"""Demographic pooling: valid figures on any input, the product-of-experts behaviour, and the survey check."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.demographics import (
    REDUNDANCY,
    bucket_order,
    effective_experts,
    normalize_percent,
    pool_demographics,
)
from bot.models import Demographics, Grounding, GroundingApp
from tests.support.paths import REPO_ROOT

SURVEY = REPO_ROOT.parent / "shared" / "eval" / "lim2015"

AGE = ["18-24", "25-34", "35-44", "45-54", "55+"]
POPULATION = {
    "age": {"18-24": 0.16, "25-34": 0.23, "35-44": 0.23, "45-54": 0.19, "55+": 0.19},
    "gender": {"female": 0.51, "male": 0.49},
}
YOUNG_FEMALE = {
    "age": {"18-24": 0.40, "25-34": 0.35, "35-44": 0.15, "45-54": 0.06, "55+": 0.04},
    "gender": {"female": 0.80, "male": 0.20},
}


def grounding(apps: list[tuple[str, float, dict | None]], population: dict | None = None) -> Grounding:
    """apps: (app_id, weight, audience or None for an app without data)."""
    return Grounding(
        apps=[
            GroundingApp(name=app_id, app_id=app_id, weight=w, has_audience=aud is not None)
            for app_id, w, aud in apps
        ],
        audience={app_id: aud for app_id, _, aud in apps if aud is not None},
        population=POPULATION if population is None else population,
    )


def pool(apps: list[tuple[str, float, dict | None]], population: dict | None = None) -> Demographics:
    return pool_demographics(grounding(apps, population), min_coverage=0.5)


def tenths(dist: dict[str, float]) -> int:
    return sum(round(v * 10) for v in dist.values())


def assert_valid(demo: Demographics) -> None:
    for dist in (demo.age, demo.gender):
        if dist:
            assert tenths(dist) == 1000
            assert all(0.0 <= v <= 100.0 for v in dist.values())
    assert 0.0 <= demo.coverage <= 1.0


# --- normalize_percent ---------------------------------------------------------------------------------


def test_normalize_percent_uses_largest_remainder() -> None:
    assert normalize_percent({"a": 1, "b": 1, "c": 1}) == {"a": 33.4, "b": 33.3, "c": 33.3}
    # Equal remainders: the earlier bucket gets the unit, so the result is deterministic.
    assert normalize_percent({"a": 0.125, "b": 0.875}, decimals=0) == {"a": 13.0, "b": 87.0}
    assert normalize_percent({"a": 2, "b": 1, "c": 1}, decimals=0) == {"a": 50.0, "b": 25.0, "c": 25.0}


def test_normalize_percent_accepts_shares_or_percent_alike() -> None:
    assert normalize_percent({"f": 0.62, "m": 0.38}) == normalize_percent({"f": 62, "m": 38}) == {"f": 62.0, "m": 38.0}


def test_normalize_percent_repairs_bad_values() -> None:
    assert normalize_percent({"a": -5, "b": float("nan"), "c": 30, "d": float("inf")}) == {
        "a": 0.0,
        "b": 0.0,
        "c": 100.0,
        "d": 0.0,
    }
    assert normalize_percent({"a": 0, "b": 0, "c": 0, "d": 0}) == {"a": 25.0, "b": 25.0, "c": 25.0, "d": 25.0}
    assert normalize_percent({}) == {}


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=4),
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-1000, 10**6)),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 3),
)
def test_normalize_percent_always_sums_to_100(dist: dict[str, float], decimals: int) -> None:
    out = normalize_percent(dist, decimals)
    assert list(out) == list(dist)
    assert sum(round(v * 10**decimals) for v in out.values()) == 100 * 10**decimals
    assert all(0 <= v <= 100 for v in out.values())


# --- coverage and source -------------------------------------------------------------------------------


def test_coverage_is_the_share_of_confidence_mass_with_data() -> None:
    demo = pool([("a", 0.6, YOUNG_FEMALE), ("b", 0.3, None), ("c", 0.1, POPULATION)])
    assert demo.coverage == pytest.approx(0.7)
    assert demo.source == "mixed"
    assert pool([("a", 0.96, YOUNG_FEMALE), ("b", 0.04, None)]).source == "data"
    assert pool([("a", 0.95, YOUNG_FEMALE), ("b", 0.05, None)]).source == "data"
    low = pool([("a", 0.3, YOUNG_FEMALE), ("b", 0.7, None)])
    assert (low.coverage, low.source) == (pytest.approx(0.3), "ai_estimate")


def test_min_coverage_sets_the_estimate_threshold() -> None:
    g = grounding([("a", 0.4, YOUNG_FEMALE), ("b", 0.6, None)])
    assert pool_demographics(g, min_coverage=0.5).source == "ai_estimate"
    assert pool_demographics(g, min_coverage=0.3).source == "mixed"


def test_unmatched_and_data_less_apps_add_nothing_but_their_weight() -> None:
    g = Grounding(
        apps=[
            GroundingApp(name="free text", app_id=None, weight=0.5),
            GroundingApp(name="a", app_id="a", weight=0.5, has_audience=True),
            GroundingApp(name="ghost", app_id="ghost", weight=0.5, has_audience=True),  # flag without rows
        ],
        audience={"a": YOUNG_FEMALE, "ghost": {"age": {}, "gender": {"female": 0.0, "male": 0.0}}},
        population=POPULATION,
    )
    demo = pool_demographics(g, min_coverage=0.5)
    assert demo.coverage == pytest.approx(1 / 3, abs=1e-4)
    assert demo.source == "ai_estimate"


def test_zero_weights_count_every_app_equally() -> None:
    demo = pool([("a", 0.0, YOUNG_FEMALE), ("b", 0.0, None)])
    assert demo.coverage == pytest.approx(0.5)
    assert_valid(demo)
    # A zero-weight app next to weighted ones carries nothing.
    assert pool([("a", 1.0, POPULATION), ("b", 0.0, YOUNG_FEMALE)]).gender == {"female": 51.0, "male": 49.0}


# --- behaviour against the baseline --------------------------------------------------------------------


def test_an_app_like_the_population_leaves_the_baseline() -> None:
    demo = pool([("a", 0.9, POPULATION), ("b", 0.4, POPULATION)])
    assert demo.gender == {"female": 51.0, "male": 49.0}
    assert demo.age == normalize_percent(POPULATION["age"])


def test_a_single_app_gives_its_own_audience() -> None:
    demo = pool([("a", 0.7, YOUNG_FEMALE)])
    assert demo.gender == {"female": 80.0, "male": 20.0}
    assert demo.age == normalize_percent(YOUNG_FEMALE["age"])
    assert (demo.source, demo.coverage) == ("data", 1.0)


def female_after(n_apps: int, share: float = 0.7) -> float:
    audience = {"gender": {"female": share, "male": 1 - share}}
    apps = [(f"app{i}", 0.8, audience) for i in range(n_apps)]
    return pool(apps, {"gender": {"female": 0.5, "male": 0.5}}).gender["female"]


def test_agreeing_apps_skew_further_than_one_but_within_a_bound() -> None:
    one, two, many = female_after(1), female_after(2), female_after(40)
    assert one == 70.0
    assert one < two < many
    # However many apps agree, the exponent stays below 1/ρ: odds never pass (0.7/0.3)^(1/ρ).
    odds_bound = (0.7 / 0.3) ** (1 / REDUNDANCY)
    assert many < 100 * odds_bound / (1 + odds_bound)
    # ... and well short of the naive product of all likelihood ratios.
    naive = (0.7 / 0.3) ** 2
    assert two < 100 * naive / (1 + naive) - 5


def test_opposite_apps_cancel() -> None:
    male = {"gender": {"female": 0.3, "male": 0.7}}
    female = {"gender": {"female": 0.7, "male": 0.3}}
    demo = pool([("a", 0.8, male), ("b", 0.8, female)], {"gender": {"female": 0.5, "male": 0.5}})
    assert demo.gender == {"female": 50.0, "male": 50.0}


def test_low_coverage_shrinks_toward_the_baseline() -> None:
    full = pool([("a", 0.8, YOUNG_FEMALE)]).gender["female"]
    half = pool([("a", 0.8, YOUNG_FEMALE), ("b", 0.8, None)]).gender["female"]
    thin = pool([("a", 0.2, YOUNG_FEMALE), ("b", 0.8, None)]).gender["female"]
    assert 51.0 < thin < half < full


def test_effective_experts() -> None:
    assert effective_experts([0.7]) == pytest.approx(1.0)
    assert effective_experts([1, 1, 1, 1], redundancy=0.0) == pytest.approx(4.0)
    assert effective_experts([1, 1, 1, 1], redundancy=1.0) == pytest.approx(1.0)
    # One dominant weight is worth about one expert; many equal ones approach 1/ρ from below.
    assert effective_experts([1.0, 0.001, 0.001]) < 1.01
    assert 1 / REDUNDANCY - 0.05 < effective_experts([1.0] * 500) < 1 / REDUNDANCY


# --- missing data and odd inputs -------------------------------------------------------------------------


def test_missing_buckets_are_rare_not_impossible() -> None:
    no_seniors = {"age": {"18-24": 0.5, "25-34": 0.5}, "gender": {"female": 0.5, "male": 0.5}}
    demo = pool([("a", 0.9, no_seniors), ("b", 0.9, YOUNG_FEMALE)])
    assert list(demo.age) == AGE
    assert 0 < demo.age["55+"] < demo.age["18-24"]
    assert_valid(demo)


def test_shares_need_not_sum_to_one() -> None:
    scaled = {dim: {b: 3 * v for b, v in d.items()} for dim, d in YOUNG_FEMALE.items()}
    assert pool([("a", 0.8, scaled)]) == pool([("a", 0.8, YOUNG_FEMALE)])


def test_no_data_returns_the_baseline_as_an_estimate() -> None:
    demo = pool([("a", 0.9, None), ("b", 0.5, None)])
    assert (demo.source, demo.coverage) == ("ai_estimate", 0.0)
    assert demo.gender == {"female": 51.0, "male": 49.0}
    assert demo.age == normalize_percent(POPULATION["age"])


def test_empty_input() -> None:
    demo = pool([])
    assert (demo.source, demo.coverage) == ("ai_estimate", 0.0)
    assert demo.gender == {"female": 51.0, "male": 49.0}
    nothing = pool([], population={})
    assert (nothing.age, nothing.gender, nothing.source) == ({}, {}, "ai_estimate")


def test_without_population_the_plain_mixture_is_used() -> None:
    male = {"gender": {"female": 0.2, "male": 0.8}}
    demo = pool([("a", 0.75, YOUNG_FEMALE), ("b", 0.25, male)], population={})
    assert demo.gender == {"female": 65.0, "male": 35.0}
    assert demo.source == "data"


def test_bucket_order() -> None:
    assert bucket_order("age", [{"55+": 1, "25-34": 1}, {"<18": 1, "18-24": 1, "35-44": 1}]) == [
        "<18",
        "18-24",
        "25-34",
        "35-44",
        "55+",
    ]
    assert bucket_order("gender", [{"male": 1, "female": 1}, {"female": 1, "other": 1}]) == [
        "male",
        "female",
        "other",
    ]
    demo = pool([("a", 1.0, {"gender": {"other": 0.1, "male": 0.5, "female": 0.4}})])
    assert list(demo.gender) == ["female", "male", "other"]


# --- any input gives valid output ------------------------------------------------------------------------

share = st.one_of(st.floats(0, 1), st.just(0.0), st.floats(allow_nan=True, allow_infinity=False, width=32))
age_dist = st.dictionaries(st.sampled_from([*AGE, "<18", "65+"]), share, max_size=7)
gender_dist = st.dictionaries(st.sampled_from(["female", "male", "other"]), share, max_size=3)
audience = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"age": age_dist, "gender": gender_dist}))
app = st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.floats(0, 1), audience)
population = st.one_of(
    st.just({}), st.just(POPULATION), st.fixed_dictionaries({"age": age_dist, "gender": gender_dist})
)


@settings(max_examples=150, deadline=None)
@given(st.lists(app, max_size=8), population, st.floats(0, 1))
def test_any_input_gives_valid_demographics(apps: list, pop: dict, min_coverage: float) -> None:
    # Later duplicates of an app_id share one audience entry, as the warehouse would return it.
    g = grounding(apps, pop)
    demo = pool_demographics(g, min_coverage=min_coverage)
    assert_valid(demo)
    if demo.coverage >= 0.95:
        assert demo.source == "data"
    elif demo.coverage >= min_coverage:
        assert demo.source == "mixed"
    else:
        assert demo.source == "ai_estimate"
    for dim in ("age", "gender"):
        sources = [pop.get(dim, {}), *(g.audience[a].get(dim, {}) for a in g.audience)]
        offered = {b for d in sources for b in d}
        assert set(getattr(demo, dim)) <= offered


# --- the independent check -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_demographics", REPO_ROOT / "scripts" / "eval_demographics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_exact_bootstrap_floor_matches_the_binomial(evaluation: ModuleType) -> None:
    for n, p in [(10, 0.3), (57, 0.5), (40, 0.25), (200, 0.013)]:
        brute = sum(math.comb(n, x) * p**x * (1 - p) ** (n - x) * abs(x - n * p) for x in range(n + 1))
        assert evaluation._binomial_mad(n, p) == pytest.approx(brute, rel=1e-9)
    assert evaluation._binomial_mad(30, 0.0) == evaluation._binomial_mad(30, 1.0) == 0.0


def test_naive_product_is_over_confident_on_synthetic_panels(evaluation: ModuleType) -> None:
    panel = evaluation.synthetic_panel(random.Random(7), people=2000, apps=16)
    cases = evaluation.cases(panel, 6)
    naive = evaluation.score(cases, evaluation.pooled_estimate(0.05))
    chosen = evaluation.score(cases, evaluation.pooled_estimate())
    assert chosen.female_mae + chosen.age_tv < naive.female_mae + naive.age_tv


@pytest.fixture(scope="module")
def survey(evaluation: ModuleType):
    if not (SURVEY / "app_user_clean.csv").is_file():
        pytest.skip(f"survey not available at {SURVEY}")
    return evaluation.evaluate_survey(SURVEY)


def test_survey_protocol_reproduces_the_stated_baseline(survey) -> None:
    # The figures (mixture 6.29 / 9.17, floor 2.6) come from one random halving; one halving moves them
    # by about ±1.3 points, so the mean over the script's halvings is compared with a tolerance of half that.
    assert survey.segments == 231  # every pair of the 23 categories has at least 40 second-half respondents
    assert survey.mixture.female_mae == pytest.approx(6.29, abs=0.6)
    assert survey.mixture.age_tv == pytest.approx(9.17, abs=0.6)
    assert survey.floor.female_mae == pytest.approx(2.6, abs=0.2)


def test_survey_pooling_beats_the_mixture(survey) -> None:
    assert survey.pooled.female_mae < survey.mixture.female_mae - 0.5
    assert survey.pooled.age_tv < survey.mixture.age_tv - 1.0
    assert survey.pooled.female_mae > survey.floor.female_mae


@pytest.fixture(scope="module")
def cross_validated(evaluation: ModuleType):
    if not (SURVEY / "app_user_clean.csv").is_file():
        pytest.skip(f"survey not available at {SURVEY}")
    # A smaller run than the documented one (`--cross-validate`: 10 halvings, 2 inner ones, a finer grid).
    return evaluation.cross_validate(SURVEY, splits=2, inner_splits=1, grid=(0.5, 0.6, 0.65, 0.7, 0.8, 0.9, 1.0))


def test_cross_validated_calibration_beats_the_synthetic_constant(cross_validated) -> None:
    assert cross_validated.pooled.female_mae < cross_validated.synthetic.female_mae
    assert cross_validated.pooled.age_tv < cross_validated.synthetic.age_tv
    assert REDUNDANCY in cross_validated.chosen


@pytest.mark.xfail(strict=True, reason="cross-validated age error stays above 7.5; see docs/demographics.md")
def test_survey_pooling_meets_the_target(cross_validated) -> None:
    assert cross_validated.pooled.female_mae <= 5.3
    assert cross_validated.pooled.age_tv <= 7.5
