"""Checks on what a model wrote, before anyone sees it: personas and follow-up reports alike.

A reply can be valid JSON in the right shape and still be useless: in the wrong language, made of punctuation
("][", ","), copied from our prompt or its worked example, or quoting figures the data does not hold. Each check
returns reasons, short fixed phrases that name the problem without quoting user text (they go to the model in
the repair request, to the logs and, for the last failure, into the card's note).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.config import Lang
from bot.figure_check import Figures, grounding_figures, unsupported_figures, without_unsupported_figures
from bot.models import PROFILE_FIELDS, Grounding, PersonaDraft, PersonaResult, WriterRequest
from bot.postprocess import quoted_data
from bot.prompt_echo import echo_source

# CJK ideographs (unified, extension A, compatibility) and the CJK punctuation block's letters are Chinese text.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A meaningful text has a letter or an ideograph in it: "][", "," and "…" have none.
_MIN_LETTERS = 1
T = TypeVar("T")
_LANG_NAMES: dict[str, str] = {"en": "English", "zh-TW": "Chinese (zh-TW)", "zh-CN": "Chinese (zh-CN)"}


@dataclass(frozen=True)
class Problem:
    """One failed check: `code` for logs and metrics, `reason` for the model and the card's note."""

    code: str
    reason: str

    def __str__(self) -> str:
        return self.reason


# Echoes of the instructions are worth a repair, but a reply whose only fault is such an echo still has usable
# fields: post-processing replaces the echoing ones with the offline writer's (personas) or drops them (follow-ups).
# Such a reply is kept when the repair does no better, rather than losing every field for a few.
# A copied worked example is no such case: post-processing would show it, so it fails like the other checks.
# Figures the data does not back are worth a repair too; a figure still unsupported after it is taken out of the
# text (`figure_check.without_unsupported_figures`) and counted, rather than losing the whole answer for it.
SOFT_CODES = frozenset({"prompt_echo", "unsupported_figure"})


class CheckFailed(ValueError):
    """Raised by a check passed to `complete_json`: the writer asks for one repair with these reasons.

    `usable` is the checked object when every problem is soft (see `SOFT_CODES`), else None.
    """

    def __init__(self, problems: Sequence[Problem], usable: object = None):
        super().__init__(describe(problems))
        self.problems = list(problems)
        self.usable = usable if all(p.code in SOFT_CODES for p in problems) else None


def _strip_quoted(text: str, quoted: Iterable[str]) -> str:
    text = unicodedata.normalize("NFKC", text)
    # Longest first, so a name that contains another is removed whole.
    for value in sorted({unicodedata.normalize("NFKC", q) for q in quoted if q and q.strip()}, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def _letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


def is_meaningful(text: str) -> bool:
    """Whether a text holds words at all: not empty, not punctuation or brackets alone."""
    return _letters(text) >= _MIN_LETTERS


def in_language(text: str, lang: Lang, quoted: Iterable[str] = ()) -> bool:
    """Whether `text`, apart from the quoted names, is written in `lang`.

    Scripts are compared, not vocabularies. Chinese: at least as many ideographs as Latin words (a brand name or
    two in Latin script is fine). English: ideographs at most twice the Latin words (a Chinese name the text
    could not know as quoted is fine). zh-TW and zh-CN are not told apart: one sentence may be valid in both.
    """
    body = _strip_quoted(text, quoted)
    ideographs = len(_CJK.findall(body))
    latin_words = len(_LATIN_WORD.findall(body))
    if ideographs == 0 and latin_words == 0:
        return True  # only names, digits or symbols: nothing to judge
    if lang.startswith("zh"):
        return ideographs > 0 and ideographs >= latin_words
    return ideographs <= 2 * latin_words


def text_problems(
    texts: Sequence[tuple[str, str]], lang: Lang, quoted: Sequence[str], figures: Figures | None
) -> list[Problem]:
    """Checks shared by every kind of output, on (field name, text) pairs."""
    problems: list[Problem] = []
    empty = [name for name, text in texts if not is_meaningful(text)]
    if empty:
        problems.append(Problem("empty_field", f"these fields have no words in them: {', '.join(empty)}"))
    foreign = [name for name, text in texts if is_meaningful(text) and not in_language(text, lang, quoted)]
    if foreign:
        problems.append(
            Problem("wrong_language", f"these fields are not in {_LANG_NAMES.get(lang, lang)} as asked: "
                    f"{', '.join(foreign)}; write them in that language (app names stay as given)")
        )
    sources = {name: echo_source(text, quoted) for name, text in texts}
    prompt = [name for name, source in sources.items() if source == "prompt"]
    example = [name for name, source in sources.items() if source == "example"]
    if prompt:
        problems.append(Problem("prompt_echo", f"these fields repeat the instructions: {', '.join(prompt)}"))
    if example:
        problems.append(
            Problem("example_echo", f"these fields copy the worked example instead of describing this segment: "
                    f"{', '.join(example)}")
        )
    if figures is not None:
        unbacked = [name for name, text in texts if unsupported_figures(text, figures, quoted)]
        if unbacked:
            problems.append(
                Problem("unsupported_figure", f"these fields state figures that are not in the data: "
                        f"{', '.join(unbacked)}; use only the figures given, or none")
            )
    return problems


def persona_figures(draft: PersonaDraft, request: WriterRequest) -> Figures:
    """The figures a persona may state: the data's, plus its own estimate when one was asked for."""
    extra = []
    if request.needs_estimate and draft.demographics_estimate is not None:
        extra = [draft.demographics_estimate.age, draft.demographics_estimate.gender]
    return grounding_figures(request.grounding, request.demographics, *extra)


def without_unsupported_persona_figures(draft: PersonaDraft, request: WriterRequest) -> tuple[PersonaDraft, int]:
    """The draft with every figure the data does not back taken out of its profile, and how many were."""
    figures, quoted = persona_figures(draft, request), quoted_data(request.grounding)
    profile: dict[str, str] = {}
    removed = 0
    for name in PROFILE_FIELDS:
        profile[name], count = without_unsupported_figures(getattr(draft.profile, name), figures, quoted)
        removed += count
    if not removed:
        return draft, 0
    return draft.model_copy(update={"profile": draft.profile.model_copy(update=profile)}), removed


def check_persona(draft: PersonaDraft, request: WriterRequest) -> list[Problem]:
    """Everything wrong with a persona draft's prose for this request; empty when it may be shown."""
    texts = [(f"profile.{name}", getattr(draft.profile, name)) for name in PROFILE_FIELDS]
    return text_problems(texts, request.lang, quoted_data(request.grounding), persona_figures(draft, request))


def check_followup(
    draft: object, lang: Lang, quoted: Sequence[str], figures: Figures | None = None
) -> list[Problem]:
    """Everything wrong with a follow-up report (summary, points, next_actions); empty when it may be shown.

    The lists are where the ideas are: an empty one, or one with an empty item, is a failed answer.
    """
    summary = str(getattr(draft, "summary", "") or "")
    points = [str(p) for p in getattr(draft, "points", None) or []]
    actions = [str(a) for a in getattr(draft, "next_actions", None) or []]
    problems: list[Problem] = []
    missing = [name for name, items in (("points", points), ("next_actions", actions)) if not items]
    if missing:
        problems.append(Problem("empty_list", f"these lists are empty but must hold ideas: {', '.join(missing)}"))
    texts = [("summary", summary)]
    texts += [(f"points[{i}]", p) for i, p in enumerate(points)]
    texts += [(f"next_actions[{i}]", a) for i, a in enumerate(actions)]
    return problems + text_problems(texts, lang, quoted, figures)


def followup_checker(result: PersonaResult, quoted: Sequence[str]) -> Callable[[T], T]:
    """The `check` for a follow-up about `result`: its language, and only the persona's figures."""
    figures = grounding_figures(Grounding(segment=result.segment, apps=result.apps), result.demographics)

    def check(draft: T) -> T:
        problems = check_followup(draft, result.meta.lang, quoted, figures)
        if problems:
            raise CheckFailed(problems, usable=draft)
        return draft

    return check


def describe(problems: Sequence[Problem]) -> str:
    """The problems as the bullet list the repair prompt expects."""
    return "\n".join(f"- {problem.reason}" for problem in problems)


def codes(problems: Sequence[Problem]) -> list[str]:
    return sorted({problem.code for problem in problems})
