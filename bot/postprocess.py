"""Turning a writer's draft into something safe to show: valid, bounded, and only citing the input.

Writers (an LLM especially) can return too many hashtags, duplicated ones, essays in a field, citations of apps
that were never in the input, an estimate that does not add up, or (having obeyed an injected instruction) their
own prompt. Each is repaired here rather than rejected, so the user still gets a card; what was repaired is
reported so the caller can log it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, NamedTuple

from bot.demographics import normalize_percent
from bot.models import PROFILE_FIELDS, Citations, Demographics, Grounding, Hashtags, PersonaDraft, Profile
from bot.prompt_echo import echoes_prompt
from bot.text_keys import fold

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


def _unique_tags(values: list[str], limit: int = MAX_HASHTAGS) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        # A runaway list of thousands of tags is read only as far as it is needed.
        if len(out) >= limit:
            break
        tag = _hashtag(raw)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


def _tags(values: list[str], fallback: list[str]) -> list[str]:
    tags = _unique_tags(values)
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
        by_key.setdefault(fold(app.name), app.name)
        if app.app_id:
            by_key.setdefault(fold(app.app_id), app.name)
    dropped = 0
    kept: dict[str, list[str]] = {}
    for field, names in citations.model_dump().items():
        out: list[str] = []
        for name in names:
            canonical = by_key.get(fold(str(name)))
            if canonical is None:
                dropped += 1
            elif canonical not in out:
                out.append(canonical)
        kept[field] = out
    return Citations(**kept), dropped


def apply_estimate(demographics: Demographics, draft: PersonaDraft, buckets: dict[str, list[str]]) -> Demographics:
    """Use the writer's estimate for dimensions the data cannot cover, on the data's own buckets."""
    estimate = draft.demographics_estimate
    if estimate is None:
        return demographics
    updated = demographics.model_copy()
    for dim in ("age", "gender"):
        wanted = buckets.get(dim) or list(getattr(demographics, dim))
        given: dict[str, float] = getattr(estimate, dim) or {}
        by_key = {fold(k): v for k, v in given.items()}
        values = {b: float(by_key.get(fold(b), 0.0) or 0.0) for b in wanted}
        if wanted and sum(v for v in values.values() if v > 0) > 0:
            setattr(updated, dim, normalize_percent(values))
    return updated


def estimate_problems(draft: PersonaDraft) -> list[str]:
    """Dimensions of the writer's estimate that had to be rescaled: not summing to 100, negative or not finite."""
    estimate = draft.demographics_estimate
    if estimate is None:
        return []
    problems = []
    for dim in ("age", "gender"):
        values = list((getattr(estimate, dim) or {}).values())
        if not values:
            continue
        finite = all(math.isfinite(v) for v in values)
        if not finite or any(v < 0 for v in values) or abs(sum(values) - 100) > 0.5:
            problems.append(dim)
    return problems


def quoted_data(grounding: Grounding) -> list[str]:
    """Input text a writer may repeat verbatim: app names and the segment's own words."""
    quoted = [app.name for app in grounding.apps]
    if grounding.segment is not None:
        quoted += [grounding.segment.name, grounding.segment.description]
    return quoted


def guard_profile(profile: Profile, grounding: Grounding, fallback: Profile) -> tuple[Profile, list[str]]:
    """The profile with every field that repeats our prompt replaced by the fallback writer's field."""
    quoted = quoted_data(grounding)
    echoing = [field for field in PROFILE_FIELDS if echoes_prompt(getattr(profile, field), quoted)]
    if not echoing:
        return profile, []
    return profile.model_copy(update={field: getattr(fallback, field) for field in echoing}), echoing


class Finalized(NamedTuple):
    profile: Profile
    hashtags: Hashtags
    citations: Citations
    dropped_citations: int
    # What had to be repaired, for the log; empty when the draft was fine as it was.
    repairs: dict[str, Any]


def finalize(draft: PersonaDraft, grounding: Grounding, fallback: PersonaDraft) -> Finalized:
    citations, dropped = clean_citations(draft.citations, grounding)
    guarded, echoing = guard_profile(draft.profile, grounding, fallback.profile)
    cut = [field for field in PROFILE_FIELDS if len(" ".join(getattr(guarded, field).split())) > MAX_FIELD_CHARS]
    hashtags = clean_hashtags(draft.hashtags, fallback.hashtags)
    repairs: dict[str, Any] = {}
    if echoing:
        repairs["prompt_echo_fields"] = echoing
    if cut:
        repairs["fields_cut"] = cut
    if dropped:
        repairs["citations_dropped"] = dropped
    estimate = estimate_problems(draft)
    if estimate:
        repairs["estimate_rescaled"] = estimate
    return Finalized(clean_profile(guarded), hashtags, citations, dropped, repairs)
