"""Questions about a persona ("Which ad channels would reach them?"), answered from that persona and its data.

With a language model the answer is written from the persona and its grounding, both given as delimited data,
with the question and the earlier turns of the conversation as data too: never as instructions. The answer goes
through the same checks as a persona (language, words, no echo of the instructions, only the data's figures);
one that fails them is replaced by the offline answer. Without a model, questions the data can answer (age,
gender, top apps, the apps they use far more than average, channels by category) get a deterministic answer,
and any other question a note that free-form answers need a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from string import Template
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from bot.app_index import standouts, times_average
from bot.config import Lang
from bot.errors import LLMError, llm_note
from bot.figure_check import grounding_figures
from bot.i18n import bucket_label, t
from bot.languages import language
from bot.lexicon import load_lexicon
from bot.models import Grounding, PersonaResult, WrittenAnswer
from bot.mrkdwn import single_line
from bot.offline_words import join
from bot.output_checks import CheckFailed, Problem, text_problems
from bot.postprocess import clean_text, quoted_data
from bot.prompt_echo import echoes_prompt
from bot.prompting import data_json
from bot.text_render import format_pct
from bot.writers import JsonCompleter, TextStreamer, streams_text
from prompts import load_template

log = logging.getLogger(__name__)

CHAT_PROMPT_VERSION = "chat-v1"
SYSTEM_TEMPLATE = "chat_system.v1.txt"
USER_TEMPLATE = "chat_user.v1.txt"
ANSWER_JSON = "chat_answer_json.v1.txt"
ANSWER_TEXT = "chat_answer_text.v1.txt"
MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 2500
# Earlier turns sent with a question, newest first, until this many (estimated) tokens are used.
HISTORY_TOKENS = 600
TOP_APPS = 5

# What the data can answer offline, by words a question uses in any of our languages; the first match wins.
INTENTS: list[tuple[str, tuple[str, ...]]] = [
    ("standouts", ("over-index", "overindex", "index", "stand out", "standout", "more than average",
                   "distinctive", "高於平均", "高于平均", "特別愛用", "特别爱用", "特色")),
    ("channels", ("channel", "advert", " ads", "ad ", "reach them", "media", "廣告", "广告", "渠道", "管道",
                  "投放", "通路")),
    ("age", ("age", "how old", "young", "older", "年齡", "年龄", "幾歲", "几岁", "年紀", "年纪")),
    ("gender", ("gender", "female", "male", "women", "men ", "性別", "性别", "男女", "女性", "男性")),
    ("top_apps", ("top app", "which apps", "what apps", "apps do", "apps they", "常用", "哪些 app", "哪些app",
                  "什麼 app", "什么 app", "應用", "应用")),
]


class ChatDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str
    apps: list[str]


class ChatAnswer(WrittenAnswer):
    persona_id: str
    question: str
    text: str
    # The persona's apps the answer rests on, as named in the data.
    apps: list[str] = Field(default_factory=list)
    lang: Lang = "en"
    model: str = "offline-writer"
    prompt_version: str = CHAT_PROMPT_VERSION


class Turn(BaseModel):
    question: str
    answer: str


def intent_of(question: str) -> str | None:
    text = f" {question.casefold()} "
    for intent, words in INTENTS:
        if any(word in text for word in words):
            return intent
    return None


def estimated_tokens(text: str) -> int:
    """About a token per CJK character and per four other characters: enough to bound what is sent."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E7F)
    return wide + (len(text) - wide + 3) // 4


def bounded_history(turns: Sequence[Turn], budget: int = HISTORY_TOKENS) -> list[Turn]:
    """The newest turns that fit in `budget` tokens, oldest first."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        cost = estimated_tokens(turn.question) + estimated_tokens(turn.answer)
        if used + cost > budget:
            break
        kept.append(turn)
        used += cost
    return list(reversed(kept))


# --- offline ---------------------------------------------------------------------------------------------------


def _figures(dist: dict[str, float], lang: str) -> str:
    return join([f"{single_line(bucket_label(b, lang))} {format_pct(p)}" for b, p in dist.items()],
                language(lang).offline)


def category_label(category: str | None, lang: Lang) -> str:
    """A category as people say it ("Fitness", "健身"), from the lexicon; the data's own id when it has no entry."""
    lexicon = load_lexicon()
    key = lexicon.resolve(category)
    if key is not None:
        return lexicon.words(key, lang).label
    return single_line(category or "") or t("chat.other_category", lang)


def offline_answer(result: PersonaResult, question: str, lang: Lang) -> ChatAnswer:
    """The answer the data gives without a model, or the note that this question needs one."""
    intent = intent_of(question)
    ph = language(lang).offline
    demographics, apps = result.demographics, result.apps
    cited: list[str] = []
    if intent == "age" and demographics.age:
        top = max(demographics.age, key=lambda b: demographics.age[b])
        text = t("chat.age", lang, figures=_figures(demographics.age, lang),
                 top=single_line(bucket_label(top, lang)), pct=format_pct(demographics.age[top]))
    elif intent == "gender" and demographics.gender:
        text = t("chat.gender", lang, figures=_figures(demographics.gender, lang))
    elif intent == "standouts":
        found = standouts(apps)
        cited = [a.name for a in found]
        text = (t("chat.standouts", lang, apps=join(
            [t("chat.standout", lang, app=single_line(a.name), ratio=times_average(a.index or 0)) for a in found], ph))
            if found else t("chat.no_standouts", lang))
    elif intent == "channels" and apps:
        by_category: dict[str, list[str]] = {}
        for app in apps:
            by_category.setdefault(category_label(app.category, lang), []).append(single_line(app.name))
        lines = [t("chat.channel_line", lang, category=c, apps=join(names[:4], ph))
                 for c, names in list(by_category.items())[:5]]
        cited = [name for names in by_category.values() for name in names[:4]]
        text = "\n".join([t("chat.channels", lang), *lines])
    elif intent == "top_apps" and apps:
        cited = [single_line(a.name) for a in apps[:TOP_APPS]]
        text = t("chat.top_apps", lang, apps=join(cited, ph))
    else:
        text = t("chat.needs_model", lang)
    return ChatAnswer(persona_id=result.id, question=question, text=text, apps=cited, lang=lang)


# --- with a model ----------------------------------------------------------------------------------------------


def chat_messages(result: PersonaResult, question: str, lang: Lang, history: Sequence[Turn], *,
                  streamed: bool = False) -> list[dict[str, str]]:
    """The system prompt, then the persona, its data, the earlier turns and the question, all as delimited data.

    A `streamed` answer is asked for as plain text (shown as it arrives), else as JSON with the apps it cites.
    """
    answer_format = load_template(ANSWER_TEXT if streamed else ANSWER_JSON).strip()
    system = Template(load_template(SYSTEM_TEMPLATE)).substitute(language=language(lang).model_name,
                                                                 answer_format=answer_format)
    persona = {
        "segment": result.segment.name if result.segment else None,
        "profile": result.profile.model_dump(),
        "hashtags": result.hashtags.model_dump(),
        "age_percent": result.demographics.age,
        "gender_percent": result.demographics.gender,
        "apps": [{"name": a.name, "category": a.category, "score": a.score, "index": a.index} for a in result.apps],
    }
    turns = [turn.model_dump() for turn in bounded_history(history)]
    user = Template(load_template(USER_TEMPLATE)).substitute(
        data=data_json(persona), history=data_json(turns), question=data_json(question))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def quoted_for(result: PersonaResult, question: str) -> list[str]:
    """Texts an answer may repeat without counting as an echo of the instructions: the data and the question."""
    return [*quoted_data(Grounding(segment=result.segment, apps=result.apps)),
            *result.profile.model_dump().values(), question]


def answer_problems(result: PersonaResult, text: str, lang: Lang, question: str) -> list[Problem]:
    """What keeps an answer from being shown: the persona's own checks (language, words, echo, figures)."""
    figures = grounding_figures(Grounding(segment=result.segment, apps=result.apps), result.demographics)
    return text_problems([("answer", text)], lang, quoted_for(result, question), figures)


class ChatWriter:
    """Answers questions about personas: by the model when there is one (checked), else offline."""

    def __init__(self, llm: JsonCompleter | None = None):
        self.llm = llm

    @property
    def model_name(self) -> str:
        return self.llm.model_name if self.llm else "offline-writer"

    def answer(self, result: PersonaResult, question: str, lang: Lang, history: Sequence[Turn] = ()) -> ChatAnswer:
        question = clean_text(question)[:MAX_QUESTION_CHARS]
        offline = offline_answer(result, question, lang)
        if self.llm is None:
            return offline

        def check(draft: ChatDraft) -> ChatDraft:
            problems = answer_problems(result, draft.answer, lang, question)
            if problems:
                raise CheckFailed(problems, usable=draft)
            return draft

        try:
            draft, _usage = self.llm.complete_json(chat_messages(result, question, lang, history), ChatDraft,
                                                   check=check)
        except Exception as exc:
            if not isinstance(exc, LLMError):
                log.exception("chat_writer_crashed")
            return offline.model_copy(update={"note": llm_note(exc, lang)})
        return self.checked(result, draft, question, lang, offline)

    @property
    def streams(self) -> bool:
        return streams_text(self.llm)

    def stream_answer(self, result: PersonaResult, question: str, lang: Lang, history: Sequence[Turn],
                      on_text: Callable[[str], None]) -> ChatAnswer:
        """The model's answer streamed through `on_text` as it arrives, then checked as a whole.

        The returned answer is the streamed text when it passes every check, else the offline answer (with a note
        saying why): the caller then replaces what it showed. The apps it rests on are the persona's apps it names.
        """
        question = clean_text(question)[:MAX_QUESTION_CHARS]
        offline = offline_answer(result, question, lang)
        streamer = cast(TextStreamer, self.llm)
        pieces: list[str] = []
        try:
            for piece in streamer.stream_text(chat_messages(result, question, lang, history, streamed=True)):
                pieces.append(piece)
                on_text(piece)
        except LLMError as exc:
            return offline.model_copy(update={"note": exc.for_reader(lang)})
        text = "".join(pieces)
        named = [a.name for a in result.apps if a.name and a.name.casefold() in text.casefold()]
        return self.checked(result, ChatDraft(answer=text, apps=named), question, lang, offline)

    def checked(self, result: PersonaResult, draft: ChatDraft, question: str, lang: Lang,
                offline: ChatAnswer) -> ChatAnswer:
        """The model's answer when it passes every check, else the offline answer with a note saying why."""
        text = clean_text(draft.answer)[:MAX_ANSWER_CHARS]
        problems = [p.code for p in answer_problems(result, text, lang, question)]
        if problems or echoes_prompt(text, quoted_for(result, question)):
            log.warning("chat_answer_replaced", extra={"problems": problems or ["prompt_echo"]})
            return offline.model_copy(update={"note": t("chat.replaced", lang)})
        known = {a.name.casefold(): a.name for a in result.apps}
        apps = [known[name.casefold()] for name in draft.apps if name.casefold() in known]
        return ChatAnswer(persona_id=result.id, question=question, text=text, apps=list(dict.fromkeys(apps)),
                          lang=lang, writer="llm", model=self.model_name)


_SPACES = re.compile(r"\s+")


def question_key_text(question: str) -> str:
    """The question as it keys the cache: case and spacing do not make another question."""
    return _SPACES.sub(" ", clean_text(question)).strip().casefold()[:MAX_QUESTION_CHARS]
