"""Escaping and cutting untrusted text for Slack."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.mrkdwn import ELLIPSIS, escape, length, plain, single_line, truncate

ENTITY = re.compile(r"&(?:amp|lt|gt);")


def test_escape_replaces_exactly_the_three_control_characters():
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    # Everything else is left for Slack: quotes, mrkdwn markers and non-ASCII text.
    assert escape('"it\'s" *bold* _it_ ~s~ `c` 健身 😀') == '"it\'s" *bold* _it_ ~s~ `c` 健身 😀'


def test_escape_neutralises_mentions_and_links():
    for hostile in ("<!channel>", "<!here>", "<@U123>", "<#C1>", "<http://evil|click>", "<!subteam^S1>"):
        out = escape(hostile)
        assert "<" not in out and ">" not in out
        assert out.startswith("&lt;") and out.endswith("&gt;")


def test_escape_is_not_idempotent_on_purpose():
    # A user who types "&amp;" must see "&amp;", so an existing entity is escaped again.
    assert escape("&amp;") == "&amp;amp;"
    assert escape(escape("<")) == "&amp;lt;"


def test_control_characters_are_stripped_but_tab_and_newline_kept():
    assert plain("a\x00b\x07c\x1b[31md\x7fe\x9bf") == "abc[31mdef"
    assert plain("line1\nline2\tcol") == "line1\nline2\tcol"
    assert plain("windows\r\nmac\rend") == "windows\nmac\nend"
    assert escape("x\x1b<y") == "x&lt;y"


def test_bidi_overrides_are_stripped_but_direction_marks_kept():
    assert plain("abc\u202egnp.exe") == "abcgnp.exe"
    assert plain("\u2067isolated\u2069") == "isolated"
    assert plain("שלום\u200fabc\u200e") == "שלום\u200fabc\u200e"


def test_lone_surrogates_are_removed():
    assert plain("a\ud800b\udfffc") == "abc"


def test_plain_does_not_escape():
    assert plain("<!channel> & co") == "<!channel> & co"


def test_single_line_folds_whitespace():
    assert single_line("  Keep\n\t Fitness \r\n app ") == "Keep Fitness app"
    assert single_line("\x00\n") == ""


def test_length_counts_utf16_units():
    assert length("") == 0
    assert length("abc") == 3
    assert length("健身") == 2
    assert length("😀") == 2
    assert length("a😀b") == 4


def test_truncate_leaves_short_text_alone():
    assert truncate("hello", 5) == "hello"
    assert truncate("", 3) == ""


def test_truncate_cuts_and_marks_the_cut():
    assert truncate("hello world", 8) == "hello w…"
    assert truncate("hello world", 7) == "hello…"  # no space left dangling before the ellipsis
    assert truncate("abcdef", 4, ellipsis="...") == "a..."


def test_truncate_never_splits_an_entity():
    text = escape("ab&cd")  # "ab&amp;cd"
    for limit in range(1, len(text)):
        out = truncate(text, limit)
        assert length(out) <= limit
        body = out.removesuffix(ELLIPSIS)
        assert "&" not in ENTITY.sub("", body), (limit, out)
    assert truncate(text, 5) == "ab…"
    assert truncate(text, 8) == "ab&amp;…"


def test_truncate_never_splits_a_surrogate_pair():
    assert truncate("a😀b", 2) == "a…"
    assert truncate("a😀b", 3) == "a…"  # "a😀…" would be four units
    assert truncate("a😀b", 4) == "a😀b"
    assert truncate("😀😀😀", 3) == "😀…"
    assert all(length(truncate("😀" * 10, n)) <= n for n in range(0, 22))


def test_truncate_drops_a_dangling_joiner():
    assert truncate("ab\u200d" + "x" * 10, 4) == "ab…"


def test_truncate_without_room_for_the_ellipsis():
    assert truncate("abc", 0) == ""
    assert truncate("abcdef", 2, ellipsis="...") == "ab"


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=60))
def test_escaped_and_cut_text_is_always_safe(text: str, limit: int):
    escaped = escape(text)
    out = truncate(escaped, limit)
    assert length(out) <= limit
    assert "<" not in out and ">" not in out
    body = out.removesuffix(ELLIPSIS)
    # Every ampersand left starts a whole entity: no half-cut "&am" reaches Slack.
    assert "&" not in ENTITY.sub("", body)
    assert escaped.startswith(body)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", out)
