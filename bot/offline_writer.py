"""The offline persona writer: a deterministic draft composed from app categories, a lexicon and the demographics.

It runs when no LLM is configured and is the fallback when the LLM fails, so it must never fail itself and must
never state a figure that is not in `request.demographics`. Words come from `bot/data/lexicon.json` (category ->
language -> phrases); sentence templates are each language's phrasing (`offline` in `bot/data/locales/`),
because word order differs between English and Chinese. The follow-up kinds' offline composers live with their
kinds in `bot.followups`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from bot.lexicon import CategoryWords
from bot.models import (
    Citations,
    Demographics,
    Distribution,
    Hashtags,
    PersonaDraft,
    Profile,
    WriterRequest,
)
from bot.offline_draft import Writing, distinctiveness, focused, frame_of
from bot.offline_words import Context, Phrasing, capitalize, cite, join, pick, weight
from bot.writers import WriterResult

MAX_FIELD_CHARS = 300

# Per-sentence picks from the 1st, 2nd and 3rd category, so the heaviest category leads without hiding the others.
_TRAIT_QUOTAS, _MAX_TRAITS = (2, 1, 1), 4
_INTEREST_QUOTAS, _MAX_INTERESTS = (2, 2, 1), 5
_MAX_DATA_CITATIONS = 5
# Buckets that carry no information about who the audience is; never lead a sentence with them.
_UNINFORMATIVE_BUCKETS = frozenset({"", "unknown", "na", "n/a", "none", "unspecified", "undisclosed"})
_GENDER_ALIASES = {"female": "female", "f": "female", "woman": "female", "women": "female",
                   "male": "male", "m": "male", "man": "male", "men": "male"}  # fmt: skip
_AGE_RANGE_RE = re.compile(r"^\s*(\d+)\s*[-–~]\s*(\d+)\s*$")
_AGE_PLUS_RE = re.compile(r"^\s*(\d+)\s*\+\s*$")
_AGE_UNDER_RE = re.compile(r"^\s*(?:<|under\s*)(\d+)\s*$", re.IGNORECASE)


_frame = frame_of

# ---------------------------------------------------------------------------------------------------------------
# Demographics in words


def _pct(value: float) -> str:
    """The figure exactly as the demographics hold it (they carry one decimal), so no new number is ever stated."""
    text = f"{value:.1f}"
    return text if float(text) == value else repr(float(value))


def _ranked(dist: Distribution) -> list[tuple[str, float]]:
    items = [
        (bucket, share)
        for bucket, share in dist.items()
        if isinstance(share, int | float)
        and math.isfinite(share)
        and share > 0
        and bucket.strip().casefold() not in _UNINFORMATIVE_BUCKETS
    ]
    order = {bucket: i for i, (bucket, _) in enumerate(items)}
    return sorted(items, key=lambda item: (-item[1], order[item[0]]))


def _gender_label(bucket: str, ph: Phrasing) -> str:
    canonical = _GENDER_ALIASES.get(bucket.strip().casefold())
    return ph.gender_labels[canonical] if canonical else bucket.strip()


def _age_label(bucket: str, ph: Phrasing) -> str:
    if m := _AGE_RANGE_RE.match(bucket):
        return ph.age_range.format(lo=m[1], hi=m[2])
    if m := _AGE_PLUS_RE.match(bucket):
        return ph.age_plus.format(n=m[1])
    if m := _AGE_UNDER_RE.match(bucket):
        return ph.age_under.format(n=m[1])
    return bucket.strip()


def _gender_phrase(dist: Distribution, ph: Phrasing, seed: int) -> str | None:
    ranked = _ranked(dist)
    if not ranked:
        return None
    (b1, p1), rest = ranked[0], ranked[1:]
    g1 = _gender_label(b1, ph)
    if not rest or p1 >= 60:
        return _frame(ph.gender_mostly, seed).format(g1=g1, p1=_pct(p1))
    b2, p2 = rest[0]
    frames = ph.gender_even if p1 - p2 < 4 else ph.gender_more
    return _frame(frames, seed).format(g1=g1, p1=_pct(p1), g2=_gender_label(b2, ph), p2=_pct(p2))


def _age_phrase(dist: Distribution, ph: Phrasing, seed: int) -> str | None:
    ranked = _ranked(dist)
    if not ranked:
        return None
    (b1, p1), rest = ranked[0], ranked[1:]
    if not rest or p1 >= 45:
        return _frame(ph.age_mostly, seed).format(a1=_age_label(b1, ph), p1=_pct(p1))
    b2, p2 = rest[0]
    frame = _frame(ph.age_spread, seed)
    return frame.format(a1=_age_label(b1, ph), p1=_pct(p1), a2=_age_label(b2, ph), p2=_pct(p2))


def _figures_sentence(demographics: Demographics, ph: Phrasing, seed: int) -> str | None:
    gender = _gender_phrase(demographics.gender, ph, seed)
    age = _age_phrase(demographics.age, ph, seed // 7)
    if gender and age:
        text = ph.figures_both.format(gender=gender, age=age)
    elif gender or age:
        text = ph.figures_one.format(text=gender or age)
    else:
        return None
    if demographics.source == "ai_estimate":
        text = ph.estimated.format(text=text)
    return capitalize(text)


# ---------------------------------------------------------------------------------------------------------------
# The draft


def _fit(sentences: Sequence[str], ph: Phrasing, limit: int = MAX_FIELD_CHARS) -> str:
    """Whole sentences up to the limit; later sentences go first, and only a lone long sentence is cut."""
    kept = list(sentences)
    while len(kept) > 1 and len(ph.sentence_sep.join(kept)) > limit:
        kept.pop()
    text = ph.sentence_sep.join(kept)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if ph.spaced_words and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def _basic_attributes(ctx: Context, w: Writing, request: WriterRequest) -> tuple[str, list[str]]:
    ph = ctx.ph
    people = join(w.keep([w.people for w in ctx.words[:2]]) or [ctx.words[0].people], ph)
    people_cited = cite(ctx.groups[:2])
    figures = _figures_sentence(request.demographics, ph, w.seed("figures"))
    if figures is None:
        return _fit([ph.no_figures.format(people=people)], ph), people_cited
    with_data = sorted((a for a in request.grounding.apps if a.has_audience), key=lambda a: -weight(a))
    data_cited = [a.name for a in with_data[:_MAX_DATA_CITATIONS] if a.name]
    sentence = w.frame(ph.people, "people").format(people=people)
    return _fit([figures, sentence], ph), list(dict.fromkeys(data_cited + people_cited))


def _personality(ctx: Context, w: Writing) -> tuple[str, list[str]]:
    traits, sources = pick([w.keep(words.traits) for words in ctx.words], _TRAIT_QUOTAS, _MAX_TRAITS)
    apps = [w.name(app) for app in w.signature[:2]]
    text = w.frame(ctx.ph.personality, "personality").format(traits=join(traits, ctx.ph), apps=join(apps, ctx.ph))
    cited = [*(app.name for app in w.signature[:2]), *cite(ctx.groups[i] for i in sources)]
    return _fit([text], ctx.ph), list(dict.fromkeys(cited))


def _psychological_state(ctx: Context, w: Writing) -> tuple[str, list[str]]:
    top = ctx.words[:2]
    motivations = list(dict.fromkeys(w.keep([words.motivation for words in top]))) or [ctx.words[0].motivation]
    worries = list(dict.fromkeys(w.keep([words.worry for words in top]))) or [ctx.words[0].worry]
    frame = w.frame(ctx.ph.psych, "psych")
    text = frame.format(motivations=join(motivations, ctx.ph), worries=join(worries, ctx.ph))
    return _fit([text], ctx.ph), cite(ctx.groups[:2])


def _interests(ctx: Context, w: Writing) -> tuple[str, list[str]]:
    interests, sources = pick([w.keep(words.interests) for words in ctx.words], _INTEREST_QUOTAS, _MAX_INTERESTS)
    lead = w.signature[0] if w.signature else None
    frames = ctx.ph.interests if lead else ctx.ph.interests[:1]
    text = w.frame(frames, "interests").format(
        interests=join(interests, ctx.ph), app1=w.name(lead) if lead else "", d1=w.describe(lead) if lead else ""
    )
    cited = cite(ctx.groups[i] for i in sources)
    if lead and w.name(lead) in text:
        cited.append(lead.name)
    return _fit([text], ctx.ph), list(dict.fromkeys(cited))


def _lifestyle(ctx: Context, w: Writing) -> tuple[str, list[str]]:
    sentences, cited = [], []
    pair = w.described_pair()
    if pair:
        (a1, d1), (a2, d2) = pair
        frame = w.frame(ctx.ph.lifestyle_apps, "lifestyle")
        sentences.append(frame.format(app1=w.name(a1), d1=d1, app2=w.name(a2), d2=d2))
        cited += [a1.name, a2.name]
    habits = w.keep([words.lifestyle for words in ctx.words[:2]])
    if habits:
        sentences.append(ctx.ph.lifestyle_one.format(first=habits[0]))
        cited += cite(ctx.groups[:1])
    if not sentences:
        sentences.append(ctx.ph.lifestyle_one.format(first=ctx.words[0].lifestyle))
    return _fit(sentences, ctx.ph), list(dict.fromkeys(cited))


def _hashtags(words: Sequence[CategoryWords]) -> list[str]:
    tags, _ = pick([w.hashtags for w in words], (1, 1, 1), 3)
    return tags


def compose_draft(request: WriterRequest) -> PersonaDraft:
    """The offline draft for a request. Pure: the same request always gives the same draft."""
    ctx = focused(Context.of(request, distinctiveness))
    w = Writing.of(request)
    basic, basic_cited = _basic_attributes(ctx, w, request)
    personality, personality_cited = _personality(ctx, w)
    psych, psych_cited = _psychological_state(ctx, w)
    interests, interests_cited = _interests(ctx, w)
    lifestyle, lifestyle_cited = _lifestyle(ctx, w)
    return PersonaDraft(
        profile=Profile(
            basic_attributes=basic,
            personality=personality,
            psychological_state=psych,
            interests=interests,
            lifestyle=lifestyle,
        ),
        hashtags=Hashtags(zh=_hashtags(ctx.zh_tag_words), en=_hashtags(ctx.en_tag_words)),
        citations=Citations(
            basic_attributes=basic_cited,
            personality=personality_cited,
            psychological_state=psych_cited,
            interests=interests_cited,
            lifestyle=lifestyle_cited,
        ),
        # The pipeline supplies baseline figures when coverage is low and labels them; words only here.
        demographics_estimate=None,
    )


class OfflineWriter:
    """A `PersonaWriter` that needs no network and never fails on a valid request."""

    kind = "offline"
    model_name = "offline-writer"

    def write(self, request: WriterRequest) -> WriterResult:
        return WriterResult(draft=compose_draft(request))
