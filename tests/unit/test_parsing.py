from __future__ import annotations

import math
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.models import ParsedApp
from bot.parsing import ParseOutcome, looks_like_app_list, parse_app_list, rank_weights

Expected = list[tuple[str, float | None]]

CASES: list[tuple[str, str, Expected]] = [
    ("comma list", "小红书, Keep, 美团", [("小红书", None), ("Keep", None), ("美团", None)]),
    ("full-width commas", "小红书，Keep，美团", [("小红书", None), ("Keep", None), ("美团", None)]),
    ("enumeration comma", "小红书、抖音、美团", [("小红书", None), ("抖音", None), ("美团", None)]),
    ("semicolons", "Keep; Strava；Nike Run Club", [("Keep", None), ("Strava", None), ("Nike Run Club", None)]),
    (
        "newlines with blank lines",
        "\n小红书\n\n  Keep  \n\n\n美团\n",
        [("小红书", None), ("Keep", None), ("美团", None)],
    ),
    ("numbered percent in parens", "1. 小红书 (92%)\n2. Keep (85%)", [("小红书", 0.92), ("Keep", 0.85)]),
    ("full-width parens and percent", "1）小红书（92％）\n2）美团（80％）", [("小红书", 0.92), ("美团", 0.8)]),
    ("bullet with en dash", "• Keep – 0.85\n• Strava – 0.7", [("Keep", 0.85), ("Strava", 0.7)]),
    ("full-width colon percent scale", "美团：80\n小红书：92", [("美团", 0.8), ("小红书", 0.92)]),
    ("space percent", "Netflix 92%\nSpotify 75 %", [("Netflix", 0.92), ("Spotify", 0.75)]),
    ("full-width letters and digits", "ＫＥＥＰ　０．９", [("KEEP", 0.9)]),
    (
        "excel rows with tabs",
        "小红书\t0.92\nKeep\t0.85\n美团\t0.8",
        [("小红书", 0.92), ("Keep", 0.85), ("美团", 0.8)],
    ),
    (
        "excel rows with rank column and header",
        "排名\t應用\t分數\n1\t小紅書\t92\n2\tKeep\t85",
        [("小紅書", 0.92), ("Keep", 0.85)],
    ),
    ("english tab header", "App\tScore\nKeep\t0.9\nStrava\t0.6", [("Keep", 0.9), ("Strava", 0.6)]),
    ("csv with header", "app,confidence\n小红书,0.92\nKeep,0.85", [("小红书", 0.92), ("Keep", 0.85)]),
    (
        "header names a category column",
        "App\tCategory\tScore\nKeep\tFitness\t0.85\n美团\tFood\t0.8",
        [("Keep", 0.85), ("美团", 0.8)],
    ),
    ("rank column without header", "1\t小红书\t0.92\n2\tKeep\t0.85", [("小红书", 0.92), ("Keep", 0.85)]),
    ("json object", '{"小红书": 0.92, "Keep": 0.85}', [("小红书", 0.92), ("Keep", 0.85)]),
    (
        "json list of objects",
        '[{"name": "Keep", "score": 0.9}, {"app": "美团", "confidence": "80%"}]',
        [("Keep", 0.9), ("美团", 0.8)],
    ),
    ("json list of pairs", '[["Keep", 90], ["Strava", 70]]', [("Keep", 0.9), ("Strava", 0.7)]),
    ("json wrapper", '{"apps": ["小红书", "Keep"]}', [("小红书", None), ("Keep", None)]),
    ("python-ish list", "['小红书', 'Keep', \"美团\"]", [("小红书", None), ("Keep", None), ("美团", None)]),
    (
        "json-ish object with trailing comma",
        '{\n  "小红书": 0.92,\n  "Keep": 0.85,\n}',
        [("小红书", 0.92), ("Keep", 0.85)],
    ),
    ("emoji decorations", "📱 小红书 0.92\n💪 Keep 0.85 🔥", [("小红书", 0.92), ("Keep", 0.85)]),
    ("keycap and circled numbers", "1️⃣ Keep\n② 小红书\n(3) 美团", [("Keep", None), ("小红书", None), ("美团", None)]),
    ("title line", "Top apps:\n- Keep\n- Strava", [("Keep", None), ("Strava", None)]),
    ("chinese title line", "以下是 App 列表：\n* 小红书\n* 美团", [("小红书", None), ("美团", None)]),
    ("label prefix", "Apps: 小红书, Keep, 美团", [("小红书", None), ("Keep", None), ("美团", None)]),
    (
        "markdown table",
        "| App | Score |\n|---|---|\n| Keep | 0.9 |\n| Strava | 80% |",
        [("Keep", 0.9), ("Strava", 0.8)],
    ),
    (
        "yaml-ish pairs",
        "- name: Keep\n  score: 0.9\n- name: Strava\n  score: 0.8",
        [("Keep", 0.9), ("Strava", 0.8)],
    ),
    ("glued chinese scores", "小红书92%、美团0.8", [("小红书", 0.92), ("美团", 0.8)]),
    ("bracketed score", "Keep [92%]; Strava [0.5]", [("Keep", 0.92), ("Strava", 0.5)]),
    ("equals and arrow", "Keep=0.9\nStrava -> 0.7", [("Keep", 0.9), ("Strava", 0.7)]),
    ("quotes around names", '"Keep" 0.9\n「小红书」 0.8\n《美团》', [("Keep", 0.9), ("小红书", 0.8), ("美团", None)]),
    ("duplicates keep the first", "Keep 0.9\n小红书 0.8\nKEEP 0.3\nｋｅｅｐ", [("Keep", 0.9), ("小红书", 0.8)]),
    ("mixed scored and unscored", "Keep 0.9, Strava, 美团 70%", [("Keep", 0.9), ("Strava", None), ("美团", 0.7)]),
    ("percent of a fraction", "Keep 0.92%", [("Keep", 0.0092)]),
    (
        "number names stay names",
        "163.com, 1.1.1.1, 12306, 58同城",
        [("163.com", None), ("1.1.1.1", None), ("12306", None), ("58同城", None)],
    ),
    ("office 365 alone", "Office 365", [("Office 365", None)]),
    ("formula 1 alone", "Formula 1", [("Formula 1", None)]),
    (
        "ambiguous numbers without pairs",
        "Windows 10, Keep, Strava",
        [("Windows 10", None), ("Keep", None), ("Strava", None)],
    ),
    (
        "consistent name score pairs",
        "Keep 92\nStrava 80\nOffice 365",
        [("Keep", 0.92), ("Strava", 0.8), ("Office 365", None)],
    ),
    ("integer one on a percent scale", "Keep 1, Strava 92", [("Keep", 0.01), ("Strava", 0.92)]),
    ("integer one on a fraction scale", "Keep: 1, Strava: 0.5", [("Keep", 1.0), ("Strava", 0.5)]),
    ("out of range stays in name", "Keep: 150\nStrava (0.5)", [("Keep: 150", None), ("Strava", 0.5)]),
    ("negative is not a score", "Keep: -0.5, Strava", [("Keep: -0.5", None), ("Strava", None)]),
    ("age range is not a score", "Moms aged 25-34", [("Moms aged 25-34", None)]),
    ("score column before name", "0.92\t小红书\n85%\tKeep", [("小红书", 0.92), ("Keep", 0.85)]),
    ("name and score on separate lines", "小红书\n0.92\nKeep\n0.85", [("小红书", 0.92), ("Keep", 0.85)]),
    ("dash with spaces", "Keep - 0.92\nStrava -0.5", [("Keep", 0.92), ("Strava", 0.5)]),
    ("hyphenated name", "7-Eleven, Keep", [("7-Eleven", None), ("Keep", None)]),
    ("parenthesised words stay", "Keep (fitness), Strava", [("Keep (fitness)", None), ("Strava", None)]),
    ("byte order mark and crlf", "\ufeffKeep\r\nStrava\r\n", [("Keep", None), ("Strava", None)]),
    ("pipes and slashes", "小红书 / Keep / 美团", [("小红书", None), ("Keep", None), ("美团", None)]),
    (
        "one line of pairs",
        "Keep 0.9 Strava 0.8\n小红书 92% 美团 (80%)",
        [("Keep", 0.9), ("Strava", 0.8), ("小红书", 0.92), ("美团", 0.8)],
    ),
    ("header typed with spaces", "應用 分數\n小紅書 92\nKeep 85", [("小紅書", 0.92), ("Keep", 0.85)]),
    ("csv quoting keeps commas in names", '"Keep, Inc", 0.9\nStrava', [("Keep, Inc", 0.9), ("Strava", None)]),
    ("apostrophes are not quotes", "Domino's, McDonald's", [("Domino's", None), ("McDonald's", None)]),
    ("sequential numbering before lowercase", "1.keep\n2.strava", [("keep", None), ("strava", None)]),
    ("domains that look numbered", "163.com\n126.com", [("163.com", None), ("126.com", None)]),
    ("points unit", "小红书 92分\n美团80分", [("小红书", 0.92), ("美团", 0.8)]),
    ("nothing but noise", "  \n - \n •\n---\n", []),
]


@pytest.mark.parametrize(("text", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_parses_real_pastes(text: str, expected: Expected) -> None:
    outcome = parse_app_list(text)
    got = [(app.name, app.score) for app in outcome.apps]
    assert [name for name, _ in got] == [name for name, _ in expected]
    for (_, score), (_, want) in zip(got, expected, strict=True):
        if want is None:
            assert score is None
        else:
            assert score == pytest.approx(want)
    assert all(app.app_id is None for app in outcome.apps)
    assert outcome.truncated is False


def test_deeply_nested_brackets_do_not_crash() -> None:
    assert [app.name for app in parse_app_list("[" * 3000 + '"Keep"' + "]" * 3000).apps] == ["Keep"]
    assert [app.name for app in parse_app_list("[" * 3000 + "Keep").apps] == ["Keep"]


def test_max_apps_truncates_and_says_so() -> None:
    outcome = parse_app_list("小红书, Keep, Strava, 美团", max_apps=2)
    assert [app.name for app in outcome.apps] == ["小红书", "Keep"]
    assert outcome.truncated is True


def test_max_apps_not_reached_is_not_truncated() -> None:
    outcome = parse_app_list("Keep, Strava", max_apps=2)
    assert outcome == ParseOutcome(apps=[ParsedApp(name="Keep"), ParsedApp(name="Strava")], truncated=False)


def test_duplicates_count_once_towards_max_apps() -> None:
    outcome = parse_app_list("Keep\nkeep\nKEEP\nStrava", max_apps=2)
    assert [app.name for app in outcome.apps] == ["Keep", "Strava"]
    assert outcome.truncated is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fitness enthusiasts in Taipei", False),
        ("台北健身愛好者", False),
        ("Office 365", False),
        ("Keep 0.9", True),
        ("Netflix 92%", True),
        ("小红书, Keep", True),
        ("小红书\nKeep", True),
        ("", False),
    ],
)
def test_looks_like_app_list(text: str, expected: bool) -> None:
    assert looks_like_app_list(text) is expected


def test_rank_weights_without_scores_decay_from_one() -> None:
    apps = [ParsedApp(name=n) for n in ("a", "b", "c", "d")]
    weights = rank_weights(apps)
    assert weights == pytest.approx([1.0, 1 / math.sqrt(2), 1 / math.sqrt(3), 0.5])


def test_rank_weights_use_given_scores() -> None:
    apps = [ParsedApp(name="a", score=0.9), ParsedApp(name="b", score=0.4)]
    assert rank_weights(apps) == pytest.approx([0.9, 0.4])


def test_rank_weights_fill_missing_scores_below_the_lowest_given() -> None:
    apps = [ParsedApp(name="a", score=0.9), ParsedApp(name="b"), ParsedApp(name="c", score=0.6), ParsedApp(name="d")]
    weights = rank_weights(apps)
    assert weights == pytest.approx([0.9, 0.6 / math.sqrt(2), 0.6, 0.3])
    assert max(weights[1], weights[3]) < 0.6


def test_rank_weights_never_zero() -> None:
    apps = [ParsedApp(name="a", score=0.0), ParsedApp(name="b")]
    weights = rank_weights(apps)
    assert all(0 < w <= 1 for w in weights)


def test_rank_weights_empty() -> None:
    assert rank_weights([]) == []


# --- properties ------------------------------------------------------------------------------------------------

_LETTERS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ小红书美团抖音微信淘宝健身咖啡"))
_WORD = st.text(_LETTERS, min_size=1, max_size=8)
_NAME = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
_SEPARATORS = st.sampled_from(
    [",", ", ", "，", "、", ";", "；", "\n", "\r\n", "\n\n", "\t", " | ", " / ", "\n- ", "\n• "]
)


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def _not_a_header_word(name: str) -> bool:
    return parse_app_list(name).apps == [ParsedApp(name=name)]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_never_crashes_and_scores_stay_in_range(text: str) -> None:
    outcome = parse_app_list(text, max_apps=30)
    assert len(outcome.apps) <= 30
    for app in outcome.apps:
        assert app.name.strip()
        assert app.score is None or 0.0 <= app.score <= 1.0
    weights = rank_weights(outcome.apps)
    assert all(0.0 < w <= 1.0 for w in weights)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("0123456789.%:()-–, \t\n%％０．Keep小红书")), max_size=80))
def test_number_heavy_text_keeps_scores_in_range(text: str) -> None:
    for app in parse_app_list(text).apps:
        assert app.score is None or 0.0 <= app.score <= 1.0


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_NAME, min_size=1, max_size=12, unique_by=_key), st.data())
def test_never_loses_an_app(names: list[str], data: st.DataObject) -> None:
    assume(all(_not_a_header_word(name) for name in names))
    text = names[0]
    for name in names[1:]:
        text += data.draw(_SEPARATORS) + name
    assert [app.name for app in parse_app_list(text).apps] == names


_SCORE_FORMATS = st.sampled_from(
    ["{n} {f}", "{n}: {f}", "{n}\t{f}", "{n} ({p}%)", "{n} - {f}", "{n}：{p}％", "{n} {p}%"]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(_NAME, st.integers(min_value=1, max_value=100)),
        min_size=1,
        max_size=10,
        unique_by=lambda t: _key(t[0]),
    ),
    st.data(),
)
def test_scores_come_back_in_any_format(pairs: list[tuple[str, int]], data: st.DataObject) -> None:
    assume(all(_not_a_header_word(name) for name, _ in pairs))
    lines = []
    for name, percent in pairs:
        template = data.draw(_SCORE_FORMATS)
        lines.append(template.format(n=name, f=f"{percent / 100:.2f}", p=percent))
    apps = parse_app_list("\n".join(lines)).apps
    assert [app.name for app in apps] == [name for name, _ in pairs]
    assert [app.score for app in apps] == pytest.approx([percent / 100 for _, percent in pairs])


# --- out of range: flagged, never clamped (the service refuses the paste) ---------------------------------------

OUT_OF_RANGE = [
    ("fraction paste with a decimal above 1", "小红书 1.5, Keep 0.85", [("小红书 1.5", "1.5", True)]),
    ("minus sign touching the digits", "Keep -3", [("Keep -3", "-3", True)]),
    ("both in one paste", "小红书 1.5, Keep -3", [("小红书 1.5", "1.5", True), ("Keep -3", "-3", True)]),
    ("negative after a colon", "Keep: -0.5, Strava", [("Keep: -0.5", "-0.5", True)]),
    ("negative cell", "Keep\t-3\nStrava\t0.5", [("Keep", "-3", True)]),
    ("above 100 after a colon", "Keep: 150\nStrava (0.5)", [("Keep: 150", "150", True)]),
    ("above 100 percent", "Keep 150%", [("Keep 150%", "150%", True)]),
    ("above 100 in brackets", "Keep (120)", [("Keep (120)", "120", True)]),
    ("score column", "App\tScore\nKeep\t-3\nStrava\t150", [("Keep", "-3", True), ("Strava", "150", True)]),
    ("json object", '{"Keep": -1, "Strava": 0.5}', [("Keep", "-1", True)]),
    ("json score field", '[{"name": "Keep", "score": 1.5}]', [("Keep", "1.5", True)]),
    ("labelled score", "name: Keep\nscore: 150", [("Keep", "150", True)]),
    ("lone decimal above 1 after a colon", "Keep: 1.5", [("Keep: 1.5", "1.5", True)]),
    ("lone trailing decimal is uncertain", "小红书 1.5", [("小红书 1.5", "1.5", False)]),
]


@pytest.mark.parametrize(("text", "expected"), [(c[1], c[2]) for c in OUT_OF_RANGE], ids=[c[0] for c in OUT_OF_RANGE])
def test_out_of_range_scores_are_flagged_not_clamped(text: str, expected: list[tuple[str, str, bool]]) -> None:
    outcome = parse_app_list(text)
    assert [(found.text, found.value, found.certain) for found in outcome.out_of_range] == expected
    flagged = {found.text for found in outcome.out_of_range}
    # A flagged number is no score: nothing was clamped into range or read on another scale.
    assert all(app.score is None for app in outcome.apps if app.name in flagged)
    assert looks_like_app_list(text)


IN_RANGE = [
    ("a bare integer above 100 is a name", "Office 365, Keep 92, Strava 85"),
    ("a number cell above 100 is an app", "Keep, 12306"),
    ("spaced dash makes the tight one a dash", "Keep - 0.92\nStrava -0.5"),
    ("a decimal above 1 on a percent scale", "Keep 92.5, Strava 80"),
    ("integers above 1 stay percents beside fractions", "Keep 92, Strava 0.8"),
    ("age range", "Moms aged 25-34"),
    ("an integer one on a fraction scale", "Keep: 1, Strava: 0.5"),
]


@pytest.mark.parametrize("text", [c[1] for c in IN_RANGE], ids=[c[0] for c in IN_RANGE])
def test_in_range_or_name_numbers_are_not_flagged(text: str) -> None:
    assert parse_app_list(text).out_of_range == ()


def test_a_paste_is_refused_whole_and_its_scores_untouched() -> None:
    outcome = parse_app_list("小红书 1.5, Keep 0.85, 美团 0.8")
    assert [(app.name, app.score) for app in outcome.apps] == [("小红书 1.5", None), ("Keep", 0.85), ("美团", 0.8)]
