"""The card lint: what a salesperson would be embarrassed to show a client, checked over many personas at once.

`lint(results)` takes finished personas (from the offline writer or the LLM path) and returns one line per
problem, empty when the cards are fit to show:

- a phrase repeated over the bound: no run of 8 words (in Chinese 10 characters), numbers aside, appears in more
  than `PHRASE_BOUND` of the personas of one language;
- raw ids (`food_delivery`, `seg_004`) in any text of the card;
- headers left in English on a Chinese card;
- statements from the contradiction list (`bot/data/contradictions.json`);
- numbers in the prose that the data does not hold (`bot.figure_check`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from bot.app_words import load_contradictions
from bot.figure_check import grounding_figures, unsupported_figures
from bot.i18n import t
from bot.lexicon import load_lexicon
from bot.localized import all_names
from bot.models import PROFILE_FIELDS, Grounding, PersonaResult
from bot.slack.blocks.card import persona_card

PHRASE_BOUND = 0.15
WORDS_PER_PHRASE = 8
CHARS_PER_PHRASE = 10
# Snake-case ids (`food_delivery`) and segment ids (`seg_004`): never words a reader should see.
_RAW_ID = re.compile(r"(?<![\w#])(?:[a-z]+_[a-z0-9_]+|seg_\d+)(?![\w])")
# Chinese phrases are counted on the characters and Latin letters (app names) only: numbers aside.
_SLACK_DATE = re.compile(r"<!date\^[^>]*>")
_CJK = re.compile(r"[\u3400-\u9fffA-Za-z]")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Headers whose English text must not appear on a Chinese card.
_HEADER_KEYS = ("field.basic_attributes", "field.personality", "field.psychological_state", "field.interests",
                "field.lifestyle", "hashtags", "age", "gender", "standouts.title")


def prose(result: PersonaResult) -> str:
    return "\n".join(getattr(result.profile, field) for field in PROFILE_FIELDS)


def phrases(text: str, lang: str) -> set[str]:
    """The runs a reader would notice repeated: 8 words, or 10 Chinese characters; numbers and punctuation aside."""
    if lang.startswith("zh"):
        chars = "".join(_CJK.findall(text)).casefold()
        return {chars[i : i + CHARS_PER_PHRASE] for i in range(len(chars) - CHARS_PER_PHRASE + 1)}
    found: set[str] = set()
    # Sentences are separate runs: a phrase does not continue across a full stop.
    for sentence in re.split(r"[.;:!?]\s", text):
        words = [w.casefold() for w in _WORD.findall(sentence)]
        found.update(" ".join(words[i : i + WORDS_PER_PHRASE]) for i in range(len(words) - WORDS_PER_PHRASE + 1))
    return found


def phrase_shares(texts: Sequence[str], lang: str) -> list[tuple[str, float]]:
    """Every phrase with the share of `texts` it appears in, most widespread first."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(phrases(text, lang))
    total = max(len(texts), 1)
    return [(phrase, n / total) for phrase, n in counts.most_common()]


def worst_phrase(results: Sequence[PersonaResult]) -> dict[str, tuple[str, float]]:
    """Per language, the most widespread phrase and the share of personas it appears in."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for result in results:
        by_lang[result.meta.lang].append(prose(result))
    return {lang: (phrase_shares(texts, lang) or [("", 0.0)])[0] for lang, texts in by_lang.items()}


def card_texts(payload: Any) -> Iterator[str]:
    """Every text a reader sees in a Block Kit payload (not ids, values or URLs)."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                yield value
            elif key not in ("action_id", "block_id", "value", "url", "image_url"):
                yield from card_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from card_texts(item)


def _raw_ids(texts: Sequence[str]) -> list[str]:
    categories = set(load_lexicon().categories)
    found = []
    for text in texts:
        text = _SLACK_DATE.sub("", text)  # Slack renders `<!date^…^{date_short_pretty}|…>` as a date
        found.extend(_RAW_ID.findall(text))
        found.extend(f"({c})" for c in categories if f"({c})" in text)
    return found


def english_headers(texts: Sequence[str], lang: str) -> list[str]:
    if lang == "en":
        return []
    joined = "\n".join(texts)
    return [t(key, "en") for key in _HEADER_KEYS if f"*{t(key, 'en')}*" in joined or f"{t(key, 'en')}\n" in joined]


def _unsupported_numbers(result: PersonaResult) -> list[str]:
    grounding = Grounding(segment=result.segment, apps=result.apps)
    figures = grounding_figures(grounding, result.demographics)
    quoted = [app.name for app in result.apps] + (all_names(result.segment) if result.segment else [])
    return unsupported_figures(prose(result), figures, quoted)


def lint_card(result: PersonaResult) -> list[str]:
    """The problems of one persona's card, each naming the persona and language."""
    where = f"{result.segment.id if result.segment else 'pasted'} [{result.meta.lang}]"
    texts = list(card_texts(persona_card(result, ephemeral=True)))
    problems = [f"{where}: raw id {found!r}" for found in _raw_ids(texts)]
    problems += [f"{where}: English header {found!r}" for found in english_headers(texts, result.meta.lang)]
    clashes = load_contradictions().clashes(prose(result), result.segment, result.meta.lang)  # type: ignore[arg-type]
    problems += [f"{where}: contradicts the segment: {found!r}" for found in clashes]
    problems += [f"{where}: number not in the data: {found!r}" for found in _unsupported_numbers(result)]
    return problems


def lint(results: Sequence[PersonaResult], *, bound: float = PHRASE_BOUND) -> list[str]:
    """Every problem over a set of personas: each card's own, and phrases repeated across more than `bound`."""
    problems = [problem for result in results for problem in lint_card(result)]
    for lang, (phrase, share) in worst_phrase(results).items():
        if share > bound:
            problems.append(f"[{lang}] {share:.0%} of personas repeat {phrase!r}")
    return problems
