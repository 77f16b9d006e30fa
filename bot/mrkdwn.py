"""Making untrusted text (user input, writer output, warehouse names) safe for Slack text objects.

Slack parses `&`, `<` and `>` as control characters in mrkdwn: `<!channel>` pings a channel and
`<http://x|label>` hides a link behind any label. Escaping exactly those three, once, turns both into
visible text. Lengths are measured in UTF-16 code units, which is never less than the code point count
Python reports, so a text that fits here also fits however Slack counts.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# C0 controls except tab and newline, DEL, C1 controls, lone surrogates (they make the JSON body invalid),
# and the bidi embedding/override/isolate controls, which can make a name display as something else.
# Plain direction marks (LRM, RLM, ALM) are harmless and legitimately used in mixed-direction text.
_STRIP = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# Invisible characters that let two names look alike or hide text: zero-width space, word joiner, BOM, the
# invisible operators, the Arabic letter mark and the deprecated format controls.
_INVISIBLE = re.compile("[\u200b\u2060-\u2064\ufeff\u061c\u206a-\u206f\u180e]")
# Zero-width (non-)joiners have real uses: ZWJ holds emoji sequences together (👩‍💻) and ZWNJ shapes Persian and
# Indic words. They are kept between two non-ASCII characters and dropped anywhere else ("Ke\u200dep", ends).
_JOINER = re.compile("(?<![^\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f])")
_NEWLINES = re.compile(r"\r\n?")
_WHITESPACE_RUN = re.compile(r"\s+")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
# Characters that must not end a cut text: a dangling joiner or variation selector renders as garbage.
_DANGLING = "\u200d\ufe0e\ufe0f"


def plain(text: str) -> str:
    """Text for a `plain_text` object (or a terminal): control, bidi and invisible characters removed."""
    return _JOINER.sub("", _INVISIBLE.sub("", _STRIP.sub("", _NEWLINES.sub("\n", text))))


def single_line(text: str) -> str:
    """`plain` text folded onto one line, for names shown inside lists, headers and buttons."""
    return _WHITESPACE_RUN.sub(" ", plain(text)).strip()


def escape(text: str) -> str:
    """Text for a `mrkdwn` object: control characters removed and `&`, `<`, `>` escaped.

    Deliberately not idempotent: a literal `&amp;` typed by a user must show up as `&amp;`, not `&`.
    """
    return plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_incoming(text: str) -> str:
    """Text as the user typed it, from Slack's message and command text, where Slack escaped `&`, `<` and `>`.

    Without this, "H&M 0.9" arrives as "H&amp;M 0.9" and the `;` splits it into two apps.
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def length(text: str) -> int:
    """Length as UTF-16 code units: characters outside the BMP (most emoji) count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """Cut `text` to at most `limit` UTF-16 units, ending with `ellipsis` when something was cut.

    Never splits a character, an escape entity such as `&amp;`, or a joiner sequence mid-way.
    When `limit` cannot even hold the ellipsis, the text is cut without one.
    """
    if limit <= 0:
        return ""
    if length(text) <= limit:
        return text
    if length(ellipsis) > limit:
        ellipsis = ""
    budget = limit - length(ellipsis)
    used = 0
    cut = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > budget:
            break
        used += size
        cut += 1
    # An entity straddling the cut would leave a stray `&am` that Slack shows verbatim; drop it whole.
    for match in _ENTITY.finditer(text, max(0, cut - 4), cut + 4):
        if match.start() < cut < match.end():
            cut = match.start()
            break
    head = text[:cut]
    while head and (head[-1].isspace() or head[-1] in _DANGLING):
        head = head[:-1]
    return head + ellipsis
