"""Write the shipped sample dataset (synthetic) as CSV files, from one synthetic population.

    python scripts/make_sample_data.py [OUT_DIR]        # default: bot/data/sample

The apps, their names, aliases and categories are real; every number is synthetic, and every number comes from the
same synthetic people. The script draws a population of adults in Taiwan, mainland China and Hong Kong, each with
a market, city, age, gender, life stage and interests; lets each person use apps with a probability that depends
on those; defines each segment as a rule over people; then counts. Reach per market, the population baseline, the
apps' audiences, each segment's measured audience with its n, the penetration of its apps and its preference
scores are all tallies over these people, so they agree with each other and with the segments' definitions.

Seeded and pure standard library: the output is byte-for-byte reproducible, in well under a minute.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import random
import re
import sys
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The data tables live beside this script.
from sample_catalog import (
    AGE_BUCKETS,
    APP_SKEWS,
    APPS,
    CATEGORY_LABELS,
    CATEGORY_PRIORS,
    GENDER_BUCKETS,
    MARKETS,
    NO_AUDIENCE,
    POPULATION_AGE,
    POPULATION_FEMALE,
    REACH_IN_MARKET,
    app_markets,
)
from sample_segments import SEGMENTS

SEED = 20240611
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "bot" / "data" / "sample"

# People drawn per market, and the adult internet population each stands for (segment sizes scale by it).
PEOPLE = {"TW": 110_000, "CN": 130_000, "HK": 40_000}
ADULT_INTERNET_USERS = {"TW": 19_500_000, "CN": 1_000_000_000, "HK": 6_300_000}
AGE_MIX = {
    "TW": (0.14, 0.20, 0.21, 0.20, 0.25), "CN": (0.15, 0.24, 0.24, 0.19, 0.18), "HK": (0.12, 0.20, 0.20, 0.21, 0.27)
}
AGE_RANGES = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 79))
FEMALE = {"TW": 0.51, "CN": 0.49, "HK": 0.54}
APPS_PER_SEGMENT = 10
# How much a segment's preference score favours distinctive apps (high lift) over merely popular ones.
LIFT_WEIGHT = 1.0
# A segment's apps must be used by at least this share of it.
MIN_PENETRATION = 0.02
# An app's audience is published only when this many people use it: fewer would be noise.
MIN_APP_USERS = 50
# Reach used for apps whose reach is not published (new or niche apps).
UNPUBLISHED_REACH = 0.01

# Interests: base probability × age multiplier (per age bucket) × (female, male) multiplier × (TW, CN, HK).
INTERESTS: dict[str, tuple[float, tuple[float, ...], tuple[float, float], tuple[float, float, float]]] = {
    "fitness": (0.14, (1.2, 1.4, 1.1, 0.7, 0.4), (0.9, 1.1), (1.1, 1.0, 1.0)),
    "outdoor": (0.05, (0.7, 1.0, 1.4, 1.3, 0.8), (0.6, 1.4), (1.2, 0.8, 1.0)),
    "core_gaming": (0.16, (2.2, 1.5, 0.8, 0.35, 0.12), (0.45, 1.55), (1.0, 1.1, 0.9)),
    "casual_gaming": (0.14, (0.6, 0.8, 1.0, 1.4, 1.6), (1.3, 0.7), (1.0, 1.0, 1.0)),
    "beauty": (0.16, (1.4, 1.4, 1.0, 0.6, 0.3), (1.85, 0.12), (1.0, 1.0, 1.0)),
    "medical_aesthetics": (0.04, (0.8, 1.6, 1.3, 0.6, 0.2), (1.9, 0.1), (0.6, 1.3, 0.8)),
    "pets": (0.10, (0.9, 1.3, 1.2, 0.9, 0.6), (1.2, 0.8), (1.0, 1.0, 1.0)),
    "cooking": (0.14, (0.6, 1.0, 1.2, 1.2, 1.0), (1.35, 0.65), (1.0, 1.0, 1.2)),
    "investing": (0.12, (0.4, 1.0, 1.3, 1.4, 1.1), (0.7, 1.3), (1.2, 1.0, 1.1)),
    "crypto": (0.03, (1.3, 1.7, 1.0, 0.5, 0.2), (0.35, 1.65), (1.0, 0.6, 1.4)),
    "anime": (0.10, (2.4, 1.5, 0.7, 0.3, 0.1), (0.9, 1.1), (1.1, 1.0, 0.8)),
    "music": (0.22, (1.8, 1.3, 0.9, 0.6, 0.4), (1.05, 0.95), (1.0, 1.0, 1.0)),
    "drama": (0.18, (1.0, 1.2, 1.1, 1.0, 0.8), (1.45, 0.55), (1.1, 1.0, 1.0)),
    "books": (0.08, (0.9, 1.1, 1.1, 1.0, 0.9), (1.3, 0.7), (1.1, 1.0, 1.0)),
    "web_novels": (0.12, (1.5, 1.2, 1.0, 0.8, 0.6), (1.0, 1.0), (0.3, 1.4, 0.5)),
    "travel": (0.16, (0.9, 1.4, 1.2, 0.9, 0.6), (1.1, 0.9), (1.1, 0.9, 1.2)),
    "business_travel": (0.05, (0.2, 1.2, 1.5, 1.3, 0.5), (0.6, 1.4), (1.0, 1.0, 1.2)),
    "baseball_fan": (0.10, (1.0, 1.0, 1.0, 1.0, 1.0), (0.4, 1.6), (1.0, 0.0, 0.0)),
    "football_fan": (0.08, (1.4, 1.3, 1.0, 0.7, 0.4), (0.25, 1.75), (0.3, 1.0, 1.3)),
    "dating": (0.10, (1.6, 1.5, 0.6, 0.2, 0.05), (0.85, 1.15), (1.0, 1.0, 1.0)),
    "home_seeking": (0.06, (0.6, 1.6, 1.3, 0.7, 0.3), (1.0, 1.0), (1.0, 1.0, 1.0)),
    "cars": (0.12, (0.5, 1.1, 1.4, 1.2, 0.7), (0.35, 1.65), (0.9, 1.1, 0.6)),
    "ev": (0.0006, (0.3, 1.2, 1.5, 1.0, 0.3), (0.5, 1.5), (0.0, 1.0, 0.0)),
    "creator": (0.06, (2.0, 1.4, 0.8, 0.4, 0.2), (1.1, 0.9), (1.0, 1.0, 1.0)),
    "language": (0.08, (1.5, 1.3, 1.0, 0.7, 0.4), (1.2, 0.8), (1.0, 1.0, 1.0)),
    "job_seeking": (0.08, (1.9, 1.4, 0.8, 0.5, 0.1), (1.0, 1.0), (1.0, 1.0, 1.0)),
    "deal_shopping": (0.35, (1.0, 1.2, 1.1, 0.9, 0.7), (1.25, 0.75), (1.0, 1.0, 1.0)),
    "delivery": (0.22, (1.5, 1.4, 1.0, 0.6, 0.3), (1.05, 0.95), (1.0, 1.0, 1.1)),
    "health": (0.10, (0.3, 0.5, 0.8, 1.4, 2.4), (1.1, 0.9), (1.0, 1.0, 1.0)),
    "remote_work": (0.04, (0.8, 1.7, 1.2, 0.6, 0.2), (0.9, 1.1), (1.0, 1.0, 1.2)),
    "commuter": (0.15, (1.3, 1.3, 1.0, 0.8, 0.5), (1.0, 1.0), (1.0, 1.0, 1.0)),
    "news": (0.28, (0.4, 0.7, 1.0, 1.3, 1.7), (0.9, 1.1), (1.0, 1.0, 1.0)),
    "office_worker": (0.35, (0.5, 1.6, 1.4, 1.1, 0.2), (1.0, 1.0), (1.0, 1.0, 1.0)),
}
# Traits set by rules on age, gender and place rather than drawn as interests.
LIFE_STAGES = ("student", "new_mother", "new_father", "new_parent", "school_parent", "taipei", "shanghai",
               "lower_tier", "value_shopping")
TRAITS: tuple[str, ...] = (*INTERESTS, *LIFE_STAGES)
BIT = {trait: 1 << i for i, trait in enumerate(TRAITS)}

# The interest that makes an app far more likely to be used; by category, then per app.
CATEGORY_TOPIC = {
    "fitness": "fitness", "health_medical": "health", "investing": "investing", "news": "news", "reading": "books",
    "education": "language", "mobile_games": "core_gaming", "casual_games": "casual_gaming", "beauty": "beauty",
    "parenting": "new_parent", "pets": "pets", "dating": "dating", "home_living": "home_seeking",
    "automotive": "cars", "jobs": "job_seeking", "local_reviews": "cooking", "anime_comics": "anime",
    "kids": "school_parent", "music": "music", "ecommerce": "deal_shopping", "food_delivery": "delivery",
    "restaurants": "delivery",
    "travel": "travel", "video_streaming": "drama", "productivity": "office_worker", "ride_hailing": "commuter",
    "photo_video": "creator",
}
_TOPIC_APPS = {
    "outdoor": "strava garmin_connect komoot relive zwift",
    "new_parent": "babybus pinkfong xiaobanlong meiyou",
    "school_parent": "parenting_cw zuoyebang yuanfudao junyi",
    "student": "chaoxing baicizhan quizlet google_classroom dcard",
    "crypto": "binance tradingview futu tiger telegram",
    "baseball_fan": "cpbltv elta nba espn",
    "football_fan": "hupu dongqiudi migu_video tencent_sports fotmob",
    "web_novels": "qidian fanqie himalaya wechat_read dedao",
    "anime": "bilibili plurk acfun",
    "core_gaming": "twitch huya douyu discord",
    "cooking": "icook cookpad xiachufang openrice",
    "ev": "nio xpeng li_auto teld star_charge xiaoju_charge plugshare tesla",
    "remote_work": "notion slack zoom google_drive microsoft_teams",
    "medical_aesthetics": "soyoung gengmei",
    "value_shopping": "pinduoduo kuaishou xigua happy_elimination happy_landlord",
    "commuter": "metro_taipei taipei_bus gogoro mtr_mobile citybus_kmb octopus",
    "beauty": "xiaohongshu meitu beautycam youcam_makeup",
    "books": "douban kindle",
    "business_travel": "eva_air china_airlines thsr booking linkedin outlook",
    "health": "taiwan_taxi line_today",
    "casual_gaming": "star31",
    "delivery": "deliveroo",
    "deal_shopping": "hktvmall",
}
APP_TOPIC = {app_id: topic for topic, ids in _TOPIC_APPS.items() for app_id in ids.split()}
# How strongly an app's topic and demographics shape its use (tempered: interests already carry some skew).
SKEW_EXPONENT = 0.6
MAX_P = 0.95

_APP_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_AGE_RULE = re.compile(r"^age(>=|<|=)(\d+)(?:-(\d+))?$")


# --- the people ---------------------------------------------------------------------------------------------------


@dataclass
class People:
    market: list[int]  # index into MARKETS
    age: list[int]
    age_bucket: list[int]
    female: list[bool]
    traits: list[int]  # bit mask over TRAITS
    apps: list[list[int]]  # indices into APPS


def _life_stages(rng: random.Random, market: str, age: int, female: bool) -> int:
    mask = 0
    if (age <= 21 and rng.random() < 0.65) or (age <= 23 and rng.random() < 0.35) or (
        age <= 26 and rng.random() < 0.05
    ):
        mask |= BIT["student"]
    mother = {22: 0.04, 25: 0.10, 30: 0.13, 35: 0.07, 40: 0.02}
    band = max((a for a in mother if a <= age), default=None)
    if band is not None and age <= 42:
        if female and rng.random() < mother[band]:
            mask |= BIT["new_mother"] | BIT["new_parent"]
        elif not female and age >= 24 and rng.random() < mother[band] * 0.85:
            mask |= BIT["new_father"] | BIT["new_parent"]
    if 30 <= age <= 54 and rng.random() < (0.45 if 38 <= age <= 46 else 0.21):
        mask |= BIT["school_parent"]
    place = rng.random()
    if market == "TW" and place < 0.33:
        mask |= BIT["taipei"]
    if market == "CN":
        if place < 0.08:
            mask |= BIT["shanghai"]
        elif place >= 0.5:
            mask |= BIT["lower_tier"]
        if rng.random() < (0.6 if place >= 0.5 else 0.08):
            mask |= BIT["value_shopping"]
    return mask


def draw_people(rng: random.Random) -> People:
    people = People([], [], [], [], [], [])
    for m, market in enumerate(MARKETS):
        # Interest odds per (age bucket, gender), worked out once rather than per person.
        odds = {
            (b, female): [
                (BIT[trait], min(0.9, base * by_age[b] * by_gender[0 if female else 1] * by_market[m]))
                for trait, (base, by_age, by_gender, by_market) in INTERESTS.items()
            ]
            for b in range(len(AGE_BUCKETS))
            for female in (True, False)
        }
        cumulative = list(itertools.accumulate(AGE_MIX[market]))
        draw = rng.random
        for _ in range(PEOPLE[market]):
            bucket = min(bisect.bisect(cumulative, draw() * cumulative[-1]), len(AGE_BUCKETS) - 1)
            age = rng.randint(*AGE_RANGES[bucket])
            female = draw() < FEMALE[market]
            mask = _life_stages(rng, market, age, female)
            for bit, p in odds[(bucket, female)]:
                if draw() < p:
                    mask |= bit
            people.market.append(m)
            people.age.append(age)
            people.age_bucket.append(bucket)
            people.female.append(female)
            people.traits.append(mask)
    return people


# --- app use -------------------------------------------------------------------------------------------------------


def _app_profile(app_id: str, category: str) -> tuple[list[float], float]:
    age, female = CATEGORY_PRIORS[category]
    skew_age, skew_female = APP_SKEWS.get(app_id, (None, None))
    age = skew_age or age
    female = skew_female if skew_female is not None else female
    total = sum(age)
    return [a / total for a in age], female


def _markets_of(app_id: str) -> list[str]:
    codes = app_markets(app_id)
    return list(MARKETS) if codes == "global" else codes.split("|")


def target_reach(app_id: str, market: str, reach: float | None) -> float:
    return REACH_IN_MARKET.get((app_id, market), reach if reach is not None else UNPUBLISHED_REACH)


def use_apps(rng: random.Random, people: People) -> None:
    """Each person uses each app of their market with a probability set by its demographics and their interests.

    Per market and app, a constant scales the probabilities so the app's expected reach there is its target:
    p = c · D(age, gender) · (boost if the person has the app's topic), capped at MAX_P.
    """
    cells: dict[tuple[int, int, bool], list[int]] = {}
    for i in range(len(people.age)):
        cells.setdefault((people.market[i], people.age_bucket[i], people.female[i]), []).append(i)
    plans: dict[tuple[int, int, bool], list[tuple[int, int, float, float]]] = {key: [] for key in cells}
    for j, (app_id, _name, category, _aliases, reach) in enumerate(APPS):
        ages, female_share = _app_profile(app_id, category)
        topic = APP_TOPIC.get(app_id, CATEGORY_TOPIC.get(category))
        bit = BIT[topic] if topic else 0
        for market in _markets_of(app_id):
            m = MARKETS.index(market)
            goal = target_reach(app_id, market, reach)
            boost = 1.0 + 7.0 * (1.0 - min(goal, 0.6) / 0.6) ** 1.5 if bit else 1.0
            weights: dict[tuple[int, int, bool], tuple[float, float]] = {}
            mass = 0.0
            for key, members in cells.items():
                if key[0] != m:
                    continue
                _, b, female = key
                gender = female_share / POPULATION_FEMALE if female else (1 - female_share) / (1 - POPULATION_FEMALE)
                d = (ages[b] / POPULATION_AGE[b] * gender) ** SKEW_EXPONENT
                with_topic = sum(1 for i in members if people.traits[i] & bit) if bit else 0
                weights[key] = (d, d * boost)
                mass += d * (len(members) - with_topic) + d * boost * with_topic
            scale = goal * PEOPLE[market] / mass
            for key, (plain, boosted) in weights.items():
                plans[key].append((j, bit, min(MAX_P, scale * plain), min(MAX_P, scale * boosted)))
    people.apps = [[] for _ in people.age]
    for key, members in cells.items():
        plan = plans[key]
        for i in members:
            traits = people.traits[i]
            draw = rng.random
            people.apps[i] = [j for j, bit, p, q in plan if draw() < (q if traits & bit else p)]


# --- segments ------------------------------------------------------------------------------------------------------


def segment_rule(rule: str) -> Callable[[People, int], bool]:
    """A rule of sample_segments.py as a predicate over (people, a person's index)."""
    market, *conditions = rule.split()
    mask = 0
    ages: list[tuple[str, int, int]] = []
    gender: bool | None = None
    for condition in conditions:
        age = _AGE_RULE.match(condition)
        if age:
            ages.append((age.group(1), int(age.group(2)), int(age.group(3) or age.group(2))))
        elif condition in ("female", "male"):
            gender = condition == "female"
        else:
            mask |= BIT[condition]
    m = None if market == "*" else MARKETS.index(market)

    def holds(people: People, i: int) -> bool:
        if m is not None and people.market[i] != m:
            return False
        if people.traits[i] & mask != mask or (gender is not None and people.female[i] != gender):
            return False
        age = people.age[i]
        for op, lo, hi in ages:
            if (op == ">=" and age < lo) or (op == "<" and age >= lo) or (op == "=" and not lo <= age <= hi):
                return False
        return True

    return holds


@dataclass
class Tally:
    """What the people add up to: everything the CSV files say."""

    reach: list[float]  # per app, over everyone
    reach_in: dict[tuple[int, str], float]  # (app, market) -> reach there
    audience: dict[int, tuple[list[int], list[int]]]  # app -> (age counts, [female, male] counts)
    population: tuple[list[int], list[int]]


def tally(people: People) -> Tally:
    n = len(people.age)
    users = [0] * len(APPS)
    users_in = Counter[tuple[int, int]]()
    ages = [[0] * len(AGE_BUCKETS) for _ in APPS]
    genders = [[0, 0] for _ in APPS]
    pop_age, pop_gender = [0] * len(AGE_BUCKETS), [0, 0]
    for i in range(n):
        b, g, m = people.age_bucket[i], 0 if people.female[i] else 1, people.market[i]
        pop_age[b] += 1
        pop_gender[g] += 1
        for j in people.apps[i]:
            users[j] += 1
            users_in[(j, m)] += 1
            ages[j][b] += 1
            genders[j][g] += 1
    reach_in = {
        (j, market): users_in[(j, m)] / PEOPLE[market]
        for j, (app_id, *_rest) in enumerate(APPS)
        for m, market in enumerate(MARKETS)
        if market in _markets_of(app_id)
    }
    return Tally(
        reach=[u / n for u in users],
        reach_in=reach_in,
        audience={j: (ages[j], genders[j]) for j in range(len(APPS))},
        population=(pop_age, pop_gender),
    )


@dataclass
class Segment:
    id: str
    market: str | None
    members: list[int]
    apps: list[tuple[int, float, float]]  # (app, confidence, penetration), best first


def build_segment(index: int, rule: str, people: People, counts: Tally) -> Segment:
    holds = segment_rule(rule)
    members = [i for i in range(len(people.age)) if holds(people, i)]
    market = None if rule.startswith("*") else rule.split()[0]
    using = Counter(j for i in members for j in people.apps[i])
    scored = []
    for j, count in using.items():
        penetration = count / len(members)
        app_id = APPS[j][0]
        if penetration < MIN_PENETRATION or (market and market not in _markets_of(app_id)):
            continue
        base = counts.reach_in[(j, market)] if market else counts.reach[j]
        lift = penetration / base if base > 0 else 1.0
        # The preference score: how widely the segment uses the app, weighted by how distinctive that use is.
        scored.append((penetration * min(lift, 10.0) ** LIFT_WEIGHT, app_id, j, penetration))
    scored.sort(key=lambda s: (-s[0], s[1]))
    top = scored[:APPS_PER_SEGMENT]
    best = top[0][0]
    confidences: list[float] = []
    for score, *_ in top:
        value = round(0.45 + 0.53 * score / best, 2)
        if confidences and value >= confidences[-1]:
            value = round(confidences[-1] - 0.01, 2)
        confidences.append(max(0.45, value))
    return Segment(
        id=f"seg_{index:03d}",
        market=market,
        members=members,
        apps=[(j, conf, pen) for (_, _, j, pen), conf in zip(top, confidences, strict=True)],
    )


# --- checks and output ---------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _split(aliases: str) -> list[str]:
    return [a for a in aliases.split("|") if a]


def check_sources() -> None:
    """Fail loudly on an inconsistent table before anything is drawn."""
    ids = [a[0] for a in APPS]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    if dupes:
        raise ValueError(f"duplicate app ids: {dupes}")
    seen: dict[str, str] = {}
    for app_id, name, category, aliases, reach in APPS:
        if not _APP_ID.match(app_id):
            raise ValueError(f"{app_id}: app ids are lowercase ascii slugs")
        if category not in CATEGORY_PRIORS or category not in CATEGORY_LABELS:
            raise ValueError(f"{app_id}: unknown category {category!r}")
        if reach is not None and not 0.005 <= reach <= 0.95:
            raise ValueError(f"{app_id}: implausible reach {reach}")
        for label in (name, *_split(aliases)):
            if _key(label) in seen:
                raise ValueError(f"{label!r} names both {seen[_key(label)]} and {app_id}")
            seen[_key(label)] = app_id
    for label, table in (("APP_SKEWS", APP_SKEWS), ("NO_AUDIENCE", NO_AUDIENCE), ("APP_TOPIC", APP_TOPIC),
                         ("REACH_IN_MARKET", {a for a, _ in REACH_IN_MARKET})):
        stray = set(table) - set(ids)
        if stray:
            raise ValueError(f"{label} names unknown apps: {sorted(stray)}")
    segment_labels: dict[str, str] = {}
    for name, name_tw, name_cn, rule, aliases, *_descriptions in SEGMENTS:
        segment_rule(rule)  # raises on an unknown trait
        for key in {_key(label) for label in (name, name_tw, name_cn, *_split(aliases))}:
            if key in segment_labels and segment_labels[key] != name:
                raise ValueError(f"{key!r} names both segments {segment_labels[key]!r} and {name!r}")
            segment_labels[key] = name


def _rounded(counts: Sequence[float]) -> list[str]:
    # Four decimals by largest remainder, so every distribution sums to exactly 1.0000.
    total = sum(counts)
    exact = [c / total * 10_000 for c in counts]
    units = [int(x) for x in exact]
    for k in sorted(range(len(exact)), key=lambda k: units[k] - exact[k])[: 10_000 - sum(units)]:
        units[k] += 1
    return [f"{u / 10_000:.4f}" for u in units]


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _distribution_rows(prefix: tuple[str, ...], ages: Sequence[int], genders: Sequence[int], *extra: object):
    for bucket, share in zip(AGE_BUCKETS, _rounded(ages), strict=True):
        yield (*prefix, "age", bucket, share, *extra)
    for bucket, share in zip(GENDER_BUCKETS, _rounded(genders), strict=True):
        yield (*prefix, "gender", bucket, share, *extra)


def _readme(n_people: int, n_segments: int, n_without: int) -> str:
    categories = textwrap.fill("Categories: " + ", ".join(CATEGORY_PRIORS) + ".", width=112)
    markets = ", ".join(f"{m} {PEOPLE[m]:,}" for m in MARKETS)
    return f"""# Synthetic sample data — not real measurements

The apps below are real products and their names, aliases and categories are meant to be accurate, but every
number in these files — reach, audience shares, penetration, segment sizes, measured audiences and confidences —
is synthetic. They are tallies over one synthetic population, not survey or panel results, and must not be quoted
as facts about any app or audience.

Regenerate with `python scripts/make_sample_data.py [OUT_DIR]`; the output is deterministic, so re-running it
over this directory changes nothing unless the script changed.

## How the numbers are made

{n_people:,} synthetic adults ({markets}) each have a market, a city, an age, a gender, a life stage (student,
expecting or new parent, parent of school-age children) and interests whose odds depend on age, gender and market.
Each person uses each app of their market with a probability set by the app's audience profile and boosted when
the person has the app's interest. Segments are rules over people (for example "in Taiwan, casual-games interest,
aged 45 or over"). Every figure is then counted over the same people: an app's reach per market and overall, its
audience, the population baseline, each segment's measured audience and its n, the share of the segment using each
app (penetration) and the preference score (confidence). Segment sizes scale n to each market's adult internet
population.

## Contents

{len(APPS)} apps in {len(CATEGORY_PRIORS)} categories and {n_segments} segments. {n_without} apps deliberately have
no audience rows and some have no published reach (new or niche apps, as in any real panel). "EV owners in
mainland China" is a segment several of whose apps lack audience data and whose measured audience rests on too few
people to show, so its figures have to be estimated.

- `apps.csv` — app_id, name, category, aliases, reach, market. Reach is the share of all people using the app.
- `app_reach.csv` — app_id, market, reach: the share of each market's people using the app.
- `app_audience.csv` — app_id, dimension, bucket, share: the age and gender of the app's users.
- `population.csv` — dimension, bucket, share: all people.
- `segments.csv` — segment_id, name, description, size, aliases, market, and the names and descriptions in
  Traditional (zh_tw) and Simplified (zh_cn) Chinese.
- `segment_apps.csv` — segment_id, app_id, confidence, penetration: the segment's top apps, best first.
- `segment_audience.csv` — segment_id, dimension, bucket, share, n: the segment's own age and gender.
- `categories.csv` — category, label_en, label_zh_tw, label_zh_cn.

{categories}
"""


def build(out_dir: Path) -> None:
    check_sources()
    rng = random.Random(SEED)
    people = draw_people(rng)
    use_apps(rng, people)
    counts = tally(people)
    out_dir.mkdir(parents=True, exist_ok=True)
    unpublished_reach = {a[0] for a in APPS if a[4] is None}

    _write(
        out_dir / "apps.csv",
        ("app_id", "name", "category", "aliases", "reach", "market"),
        (
            (app_id, name, category, "|".join(_split(aliases)),
             "" if app_id in unpublished_reach else f"{counts.reach[j]:.4f}", app_markets(app_id))
            for j, (app_id, name, category, aliases, _reach) in enumerate(APPS)
        ),
    )
    _write(
        out_dir / "app_reach.csv",
        ("app_id", "market", "reach"),
        (
            (APPS[j][0], market, f"{reach:.4f}")
            for (j, market), reach in counts.reach_in.items()
            if APPS[j][0] not in unpublished_reach
        ),
    )
    audience_rows = []
    for j, (app_id, *_rest) in enumerate(APPS):
        if app_id not in NO_AUDIENCE and sum(counts.audience[j][1]) >= MIN_APP_USERS:
            audience_rows.extend(_distribution_rows((app_id,), *counts.audience[j]))
    _write(out_dir / "app_audience.csv", ("app_id", "dimension", "bucket", "share"), audience_rows)
    _write(out_dir / "population.csv", ("dimension", "bucket", "share"), _distribution_rows((), *counts.population))

    segment_rows, membership_rows, measured_rows = [], [], []
    for index, (name, name_tw, name_cn, rule, aliases, desc, desc_tw, desc_cn) in enumerate(SEGMENTS, start=1):
        segment = build_segment(index, rule, people, counts)
        members = segment.members
        markets = [segment.market] if segment.market else list(MARKETS)
        size = sum(
            round(sum(1 for i in members if MARKETS[people.market[i]] == m) * ADULT_INTERNET_USERS[m] / PEOPLE[m])
            for m in markets
        )
        names = "|".join(dict.fromkeys([name_tw, name_cn, *_split(aliases)]))
        segment_rows.append((segment.id, name, desc, round(size, -3), names, segment.market or "", name_tw,
                             name_cn, desc_tw, desc_cn))
        for j, confidence, penetration in segment.apps:
            membership_rows.append((segment.id, APPS[j][0], f"{confidence:.2f}", f"{penetration:.4f}"))
        ages = [0] * len(AGE_BUCKETS)
        genders = [0, 0]
        for i in members:
            ages[people.age_bucket[i]] += 1
            genders[0 if people.female[i] else 1] += 1
        measured_rows.extend(_distribution_rows((segment.id,), ages, genders, len(members)))
    _write(
        out_dir / "segments.csv",
        ("segment_id", "name", "description", "size", "aliases", "market", "name_zh_tw", "name_zh_cn",
         "description_zh_tw", "description_zh_cn"),
        segment_rows,
    )
    _write(out_dir / "segment_apps.csv", ("segment_id", "app_id", "confidence", "penetration"), membership_rows)
    _write(out_dir / "segment_audience.csv", ("segment_id", "dimension", "bucket", "share", "n"), measured_rows)
    _write(
        out_dir / "categories.csv",
        ("category", "label_en", "label_zh_tw", "label_zh_cn"),
        ((category, *labels) for category, labels in CATEGORY_LABELS.items()),
    )
    n_without = sum(1 for a in APPS if a[0] in NO_AUDIENCE)
    (out_dir / "README.md").write_text(_readme(len(people.age), len(SEGMENTS), n_without), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print("usage: python scripts/make_sample_data.py [OUT_DIR]", file=sys.stderr)
        return 2
    out_dir = Path(args[0]) if args else DEFAULT_OUT
    build(out_dir)
    print(f"wrote {len(APPS)} apps and {len(SEGMENTS)} segments to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
