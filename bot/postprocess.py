"""Turning a writer's draft into something safe to show: valid, bounded, and only citing the input.

Writers (an LLM especially) can return too many hashtags, duplicated ones, essays in a field, citations of apps
that were never in the input, or an estimate that does not add up. Each is repaired here rather than rejected,
so the user still gets a card.
"""

from __future__ import annotations

import re
import unicodedata

from bot.demographics import normalize_percent
from bot.models import Citations, Demographics, Grounding, Hashtags, PersonaDraft, Profile

MAX_FIELD_CHARS = 600
MIN_HASHTAGS, MAX_HASHTAGS = 2, 3
MAX_HASHTAG_CHARS = 40

_SPACE_OR_HASH = re.compile(r"[\s#＃]+")
# Anything that is not a letter, digit, mark or underscore has no place in a hashtag.
_NOT_TAG = re.compile(r"[^\w]", re.UNICODE)


def clean_text(text: str) -> str:
    # Control characters (except newlines) can break terminals and Slack rendering alike.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    if len(text) > MAX_FIELD_CHARS:
        text = text[: MAX_FIELD_CHARS - 1].rstrip() + "…"
    return text


def clean_profile(profile: Profile) -> Profile:
    return Profile(**{k: clean_text(v) for k, v in profile.model_dump().items()})


def _hashtag(raw: str) -> str | None:
    body = _NOT_TAG.sub("", _SPACE_OR_HASH.sub("", unicodedata.normalize("NFKC", raw)))
    if not body:
        return None
    return "#" + body[:MAX_HASHTAG_CHARS]


def _unique_tags(values: list[str]) -> list[str]:
    out: list[str] = []
    for raw in values:
        tag = _hashtag(raw)
        if tag and tag.casefold() not in {t.casefold() for t in out}:
            out.append(tag)
    return out


def _tags(values: list[str], fallback: list[str]) -> list[str]:
    tags = _unique_tags(values)[:MAX_HASHTAGS]
    # Fallback tags only top up a short list; they never displace the writer's own.
    for tag in _unique_tags(fallback):
        if len(tags) >= MIN_HASHTAGS:
            break
        if tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def clean_hashtags(hashtags: Hashtags, fallback: Hashtags) -> Hashtags:
    return Hashtags(zh=_tags(hashtags.zh, fallback.zh), en=_tags(hashtags.en, fallback.en))


def clean_citations(citations: Citations, grounding: Grounding) -> tuple[Citations, int]:
    """Keep citations of input apps only (matched loosely, reported as given); count the rest as dropped."""
    by_key: dict[str, str] = {}
    for app in grounding.apps:
        by_key.setdefault(_key(app.name), app.name)
        if app.app_id:
            by_key.setdefault(_key(app.app_id), app.name)
    dropped = 0
    kept: dict[str, list[str]] = {}
    for field, names in citations.model_dump().items():
        out: list[str] = []
        for name in names:
            canonical = by_key.get(_key(str(name)))
            if canonical is None:
                dropped += 1
            elif canonical not in out:
                out.append(canonical)
        kept[field] = out
    return Citations(**kept), dropped


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def apply_estimate(demographics: Demographics, draft: PersonaDraft, buckets: dict[str, list[str]]) -> Demographics:
    """Use the writer's estimate for dimensions the data cannot cover, on the data's own buckets."""
    estimate = draft.demographics_estimate
    if estimate is None:
        return demographics
    updated = demographics.model_copy()
    for dim in ("age", "gender"):
        wanted = buckets.get(dim) or list(getattr(demographics, dim))
        given: dict[str, float] = getattr(estimate, dim) or {}
        by_key = {_key(k): v for k, v in given.items()}
        values = {b: float(by_key.get(_key(b), 0.0) or 0.0) for b in wanted}
        if wanted and sum(v for v in values.values() if v > 0) > 0:
            setattr(updated, dim, normalize_percent(values))
    return updated


def finalize(
    draft: PersonaDraft, grounding: Grounding, fallback: PersonaDraft
) -> tuple[Profile, Hashtags, Citations, int]:
    citations, dropped = clean_citations(draft.citations, grounding)
    return clean_profile(draft.profile), clean_hashtags(draft.hashtags, fallback.hashtags), citations, dropped
