"""The offline persona writer: a deterministic draft composed from app categories, a lexicon and the demographics.

It runs when no LLM is configured and is the fallback when the LLM fails, so it must never fail itself and must
never state a figure that is not in `request.demographics`. Words come from `bot/data/lexicon.json` (category ->
language -> phrases); sentence templates live here because word order differs between English and Chinese.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.config import LANGS, Lang
from bot.models import (
    Citations,
    Demographics,
    Distribution,
    GroundingApp,
    Hashtags,
    PersonaDraft,
    Profile,
    WriterRequest,
)
from bot.writers import WriterResult

MAX_FIELD_CHARS = 300
HASHTAG_RE = re.compile(r"^#[^\s#]+$")

# How many categories a draft draws on: more than three makes the sentences read like a list of apps.
_TOP_GROUPS = 3
# Per-sentence picks from the 1st, 2nd and 3rd category, so the heaviest category leads without hiding the others.
_TRAIT_QUOTAS, _MAX_TRAITS = (2, 1, 1), 4
_INTEREST_QUOTAS, _MAX_INTERESTS = (2, 2, 1), 5
_CITED_APPS_PER_GROUP = 2
_MAX_DATA_CITATIONS = 5
# Buckets that carry no information about who the audience is; never lead a sentence with them.
_UNINFORMATIVE_BUCKETS = frozenset({"", "unknown", "na", "n/a", "none", "unspecified", "undisclosed"})
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


# ---------------------------------------------------------------------------------------------------------------
# Lexicon


class CategoryWords(BaseModel):
    """The phrases for one category in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    people: str = Field(min_length=1)
    traits: tuple[str, ...] = Field(min_length=2, max_length=3)
    motivation: str = Field(min_length=1)
    worry: str = Field(min_length=1)
    interests: tuple[str, ...] = Field(min_length=2, max_length=3)
    lifestyle: str = Field(min_length=1)
    idea: str = Field(min_length=1)
    hashtags: tuple[str, ...] = Field(min_length=2, max_length=3)

    @field_validator("hashtags")
    @classmethod
    def _hashtags_are_single_tokens(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        bad = [tag for tag in tags if not HASHTAG_RE.match(tag)]
        if bad:
            raise ValueError(f"hashtags must be '#' plus text without spaces: {bad}")
        if len({tag.casefold() for tag in tags}) != len(tags):
            raise ValueError(f"duplicate hashtags: {tags}")
        return tags


class Lexicon(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    fallback: str
    categories: dict[str, dict[Lang, CategoryWords]]

    @model_validator(mode="after")
    def _complete(self) -> Lexicon:
        if self.fallback not in self.categories:
            raise ValueError(f"fallback category {self.fallback!r} is missing")
        for category, langs in self.categories.items():
            missing = [lang for lang in LANGS if lang not in langs]
            if missing:
                raise ValueError(f"category {category!r} lacks languages {missing}")
        return self

    def words(self, category: str, lang: Lang) -> CategoryWords:
        return self.categories[category][lang]

    def resolve(self, category: str | None) -> str | None:
        """The lexicon key for a category id as the data spells it, or None when the lexicon has no such category."""
        if category is None:
            return None
        key = re.sub(r"[\s\-]+", "_", category.strip().casefold())
        if key in self.categories and key != self.fallback:
            return key
        return None


@cache
def load_lexicon() -> Lexicon:
    text = resources.files("bot").joinpath("data/lexicon.json").read_text(encoding="utf-8")
    return Lexicon.model_validate(json.loads(text))


# ---------------------------------------------------------------------------------------------------------------
# Per-language phrasing


@dataclass(frozen=True)
class _Phrasing:
    zh: bool
    hashtag_lang: Lang
    and_word: str
    list_sep: str
    sentence_sep: str
    personality: str
    psych: str
    interests: str
    lifestyle_one: str
    lifestyle_two: str
    people: str
    no_figures: str
    estimated: str
    figures_both: str
    figures_one: str
    gender_mostly: str
    gender_more: str
    gender_even: str
    gender_labels: dict[str, str]
    age_mostly: str
    age_spread: str
    age_range: str
    age_plus: str
    age_under: str
    # Follow-up analyses.
    partner_heading: str
    partner_line: str
    partner_line_no_apps: str
    partner_hook: str
    partner_next: str
    your_product: str
    comp_heading: str
    comp_on_list: str
    comp_score: str
    comp_category: str
    comp_off_list: str
    comp_values: str
    comp_where: str
    comp_next_both: str
    comp_next_product: str
    comp_next_competitors: str
    comp_next_none: str


_EN = _Phrasing(
    zh=False,
    hashtag_lang="zh-TW",
    and_word=" and ",
    list_sep=", ",
    sentence_sep=" ",
    personality="They come across as {traits}, in line with the {labels} apps they favour.",
    psych="Driven by {motivations}, they worry about {worries}.",
    interests="Their interests include {interests}.",
    lifestyle_one="They {first}.",
    lifestyle_two="They {first}, and they also {second}.",
    people="Mainly {people}.",
    no_figures="Mainly {people}; no age or gender figures are available for these apps.",
    estimated="Estimated: {text}",
    figures_both="{gender}, {age}.",
    figures_one="{text}.",
    gender_mostly="mostly {g1} ({p1}%)",
    gender_more="more {g1} ({p1}%) than {g2} ({p2}%)",
    gender_even="an even mix of {g1} ({p1}%) and {g2} ({p2}%)",
    gender_labels={"female": "women", "male": "men"},
    age_mostly="largely aged {a1} ({p1}%)",
    age_spread="most often aged {a1} ({p1}%), followed by {a2} ({p2}%)",
    age_range="{lo}–{hi}",
    age_plus="{n} and over",
    age_under="under {n}",
    partner_heading="Partnership ideas for this audience (offline draft):",
    partner_line="• {label} apps: partner with {apps} on {idea}.",
    partner_line_no_apps="• {label} apps: look for a partner for {idea}.",
    partner_hook="• Message: lead with {interests}; this audience is driven by {motivation}.",
    partner_next=(
        "• Next steps: check how far each partner's users overlap with your customers, approach the best fit "
        "first and pilot a joint offer with its own tracking code."
    ),
    your_product="your product",
    comp_heading="Competitive view for {product} (offline draft, from this audience's app list):",
    comp_on_list="• {name}: on their list (#{rank} of {total}{score}{category}).",
    comp_score=", score {score}",
    comp_category=", {label}",
    comp_off_list="• {name}: not on their list.",
    comp_values="• What wins them over: {motivations}; answer their worry about {worry}.",
    comp_where="• Where to compete: alongside the {labels} apps they already use, with content on {interests}.",
    comp_next_both=(
        "• Next steps: {product} shares this audience with {competitors}; compare offers side by side and lead "
        "with what sets {product} apart."
    ),
    comp_next_product=(
        "• Next steps: {product} is on their list and no named competitor is; protect that lead with loyalty "
        "perks and partners from the categories above."
    ),
    comp_next_competitors=(
        "• Next steps: {competitors} already reach this audience; win them over with a clear reason to switch "
        "and a partner from the categories above."
    ),
    comp_next_none=(
        "• Next steps: none of the named apps is on their list yet, so there is room to move first; test a "
        "small campaign in the categories above."
    ),
)

_ZH_TW = _Phrasing(
    zh=True,
    hashtag_lang="zh-TW",
    and_word="與",
    list_sep="、",
    sentence_sep="",
    personality="個性{traits}，與他們常用的{labels}類App相呼應。",
    psych="重視{motivations}，也擔心{worries}。",
    interests="興趣包括{interests}。",
    lifestyle_one="{first}。",
    lifestyle_two="{first}；{second}。",
    people="主要是{people}。",
    no_figures="主要是{people}；這些App沒有年齡與性別數據。",
    estimated="推估：{text}",
    figures_both="{gender}，{age}。",
    figures_one="{text}。",
    gender_mostly="以{g1}為主（{p1}%）",
    gender_more="{g1}多於{g2}（{g1}{p1}%、{g2}{p2}%）",
    gender_even="{g1}與{g2}比例相當（{g1}{p1}%、{g2}{p2}%）",
    gender_labels={"female": "女性", "male": "男性"},
    age_mostly="年齡集中在{a1}（{p1}%）",
    age_spread="年齡多在{a1}（{p1}%），其次是{a2}（{p2}%）",
    age_range="{lo}–{hi}歲",
    age_plus="{n}歲以上",
    age_under="未滿{n}歲",
    partner_heading="適合這群受眾的合作提案（離線草稿）：",
    partner_line="• {label}類App：與{apps}合作，{idea}。",
    partner_line_no_apps="• {label}類App：尋找合作夥伴，{idea}。",
    partner_hook="• 溝通重點：以{interests}切入，這群人重視{motivation}。",
    partner_next="• 下一步：比對各夥伴用戶與自家客群的重疊度，優先洽談最契合的一家，並以專屬追蹤碼試辦聯名優惠。",
    your_product="你的產品",
    comp_heading="{product}的競品分析（離線草稿，依這群受眾的App清單）：",
    comp_on_list="• {name}：在清單上（{total}個中排第{rank}{score}{category}）。",
    comp_score="，分數{score}",
    comp_category="，{label}類",
    comp_off_list="• {name}：不在清單上。",
    comp_values="• 打動他們的關鍵：{motivations}；也要化解他們對{worry}的擔憂。",
    comp_where="• 主戰場：他們常用的{labels}類App，內容可圍繞{interests}。",
    comp_next_both="• 下一步：{product}與{competitors}都觸及這群受眾，建議並列比較優惠，主打{product}的差異化優勢。",
    comp_next_product="• 下一步：{product}已在清單上，列出的競品都不在，可用會員回饋與上述類別的合作夥伴鞏固領先。",
    comp_next_competitors="• 下一步：{competitors}已觸及這群受眾，需要給他們明確的轉換理由，並找上述類別的夥伴合作。",
    comp_next_none="• 下一步：列出的App都還不在清單上，仍有搶先布局的空間，可先在上述類別小規模測試活動。",
)

_ZH_CN = _Phrasing(
    zh=True,
    hashtag_lang="zh-CN",
    and_word="和",
    list_sep="、",
    sentence_sep="",
    personality="性格{traits}，与他们常用的{labels}类应用相呼应。",
    psych="在意{motivations}，也担心{worries}。",
    interests="兴趣包括{interests}。",
    lifestyle_one="{first}。",
    lifestyle_two="{first}；{second}。",
    people="主要是{people}。",
    no_figures="主要是{people}；这些应用没有年龄和性别数据。",
    estimated="估算：{text}",
    figures_both="{gender}，{age}。",
    figures_one="{text}。",
    gender_mostly="以{g1}为主（{p1}%）",
    gender_more="{g1}多于{g2}（{g1}{p1}%、{g2}{p2}%）",
    gender_even="{g1}和{g2}比例相当（{g1}{p1}%、{g2}{p2}%）",
    gender_labels={"female": "女性", "male": "男性"},
    age_mostly="年龄集中在{a1}（{p1}%）",
    age_spread="年龄多在{a1}（{p1}%），其次是{a2}（{p2}%）",
    age_range="{lo}–{hi}岁",
    age_plus="{n}岁以上",
    age_under="{n}岁以下",
    partner_heading="适合这个人群的合作提案（离线草稿）：",
    partner_line="• {label}类应用：与{apps}合作，{idea}。",
    partner_line_no_apps="• {label}类应用：寻找合作伙伴，{idea}。",
    partner_hook="• 沟通重点：以{interests}切入，这群人看重{motivation}。",
    partner_next="• 下一步：比对各伙伴用户与自家客群的重叠度，优先洽谈最契合的一家，并用专属追踪码试点联名优惠。",
    your_product="你的产品",
    comp_heading="{product}的竞品分析（离线草稿，基于这个人群的应用列表）：",
    comp_on_list="• {name}：在列表中（{total}个中排第{rank}{score}{category}）。",
    comp_score="，分数{score}",
    comp_category="，{label}类",
    comp_off_list="• {name}：不在列表中。",
    comp_values="• 打动他们的关键：{motivations}；也要消除他们对{worry}的顾虑。",
    comp_where="• 主战场：他们常用的{labels}类应用，内容可围绕{interests}展开。",
    comp_next_both="• 下一步：{product}和{competitors}都覆盖这个人群，建议并列比较优惠，突出{product}的差异化优势。",
    comp_next_product="• 下一步：{product}已在列表中，列出的竞品都不在，可用会员权益和上述类别的合作伙伴巩固领先。",
    comp_next_competitors="• 下一步：{competitors}已覆盖这个人群，需要给他们明确的转换理由，并寻找上述类别的伙伴合作。",
    comp_next_none="• 下一步：列出的应用都还不在列表中，仍有抢先布局的空间，可先在上述类别小规模测试活动。",
)

_PHRASING: dict[str, _Phrasing] = {"en": _EN, "zh-TW": _ZH_TW, "zh-CN": _ZH_CN}

_GENDER_ALIASES = {"female": "female", "f": "female", "woman": "female", "women": "female",
                   "male": "male", "m": "male", "man": "male", "men": "male"}  # fmt: skip
_AGE_RANGE_RE = re.compile(r"^\s*(\d+)\s*[-–~]\s*(\d+)\s*$")
_AGE_PLUS_RE = re.compile(r"^\s*(\d+)\s*\+\s*$")
_AGE_UNDER_RE = re.compile(r"^\s*(?:<|under\s*)(\d+)\s*$", re.IGNORECASE)


def _join(items: Sequence[str], ph: _Phrasing) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ph.list_sep.join(items[:-1]) + ph.and_word + items[-1]


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------------------------
# Grouping apps by category


@dataclass
class _Group:
    category: str
    weight: float
    first_index: int
    apps: list[GroundingApp] = field(default_factory=list)


def _weight(app: GroundingApp) -> float:
    # Negative or NaN weights say nothing about the audience; they count as zero rather than subtracting.
    return app.weight if app.weight > 0 and math.isfinite(app.weight) else 0.0


def _groups(apps: Sequence[GroundingApp], lexicon: Lexicon) -> list[_Group]:
    """Categories by summed app weight (then app count, then first appearance), heaviest first.

    Apps whose category the lexicon does not know form the fallback group, used only when no category is known.
    """
    known: dict[str, _Group] = {}
    for index, app in enumerate(apps):
        key = lexicon.resolve(app.category)
        if key is None:
            continue
        group = known.setdefault(key, _Group(key, 0.0, index))
        group.weight += _weight(app)
        group.apps.append(app)
    groups = list(known.values()) or [_Group(lexicon.fallback, sum(map(_weight, apps)), 0, list(apps))]
    for group in groups:
        group.apps.sort(key=lambda app: -_weight(app))  # stable: input order breaks ties
    groups.sort(key=lambda g: (-g.weight, -len(g.apps), g.first_index))
    return groups


def _cite(groups: Iterable[_Group], per_group: int = _CITED_APPS_PER_GROUP) -> list[str]:
    names: list[str] = []
    for group in groups:
        names.extend(app.name for app in group.apps[:per_group] if app.name)
    return list(dict.fromkeys(names))


def _pick(lists: Sequence[Sequence[str]], quotas: Sequence[int], limit: int) -> tuple[list[str], list[int]]:
    """Items from several ranked lists: first each list's quota, then round-robin. Returns items and source lists."""
    chosen: list[str] = []
    sources: list[int] = []
    seen: set[str] = set()

    def take(which: int, item: str) -> None:
        if len(chosen) < limit and item.casefold() not in seen:
            seen.add(item.casefold())
            chosen.append(item)
            sources.append(which)

    cursors = [0] * len(lists)
    for which, items in enumerate(lists):
        quota = quotas[which] if which < len(quotas) else 0
        for item in items[:quota]:
            take(which, item)
        cursors[which] = min(quota, len(items))
    while len(chosen) < limit and any(cursors[i] < len(items) for i, items in enumerate(lists)):
        for which, items in enumerate(lists):
            if cursors[which] < len(items):
                take(which, items[cursors[which]])
                cursors[which] += 1
    return chosen, sorted(set(sources))


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


def _gender_label(bucket: str, ph: _Phrasing) -> str:
    canonical = _GENDER_ALIASES.get(bucket.strip().casefold())
    return ph.gender_labels[canonical] if canonical else bucket.strip()


def _age_label(bucket: str, ph: _Phrasing) -> str:
    if m := _AGE_RANGE_RE.match(bucket):
        return ph.age_range.format(lo=m[1], hi=m[2])
    if m := _AGE_PLUS_RE.match(bucket):
        return ph.age_plus.format(n=m[1])
    if m := _AGE_UNDER_RE.match(bucket):
        return ph.age_under.format(n=m[1])
    return bucket.strip()


def _gender_phrase(dist: Distribution, ph: _Phrasing) -> str | None:
    ranked = _ranked(dist)
    if not ranked:
        return None
    (b1, p1), rest = ranked[0], ranked[1:]
    g1 = _gender_label(b1, ph)
    if not rest or p1 >= 60:
        return ph.gender_mostly.format(g1=g1, p1=_pct(p1))
    b2, p2 = rest[0]
    template = ph.gender_even if p1 - p2 < 4 else ph.gender_more
    return template.format(g1=g1, p1=_pct(p1), g2=_gender_label(b2, ph), p2=_pct(p2))


def _age_phrase(dist: Distribution, ph: _Phrasing) -> str | None:
    ranked = _ranked(dist)
    if not ranked:
        return None
    (b1, p1), rest = ranked[0], ranked[1:]
    if not rest or p1 >= 45:
        return ph.age_mostly.format(a1=_age_label(b1, ph), p1=_pct(p1))
    b2, p2 = rest[0]
    return ph.age_spread.format(a1=_age_label(b1, ph), p1=_pct(p1), a2=_age_label(b2, ph), p2=_pct(p2))


def _figures_sentence(demographics: Demographics, ph: _Phrasing) -> str | None:
    gender = _gender_phrase(demographics.gender, ph)
    age = _age_phrase(demographics.age, ph)
    if gender and age:
        text = ph.figures_both.format(gender=gender, age=age)
    elif gender or age:
        text = ph.figures_one.format(text=gender or age)
    else:
        return None
    if demographics.source == "ai_estimate":
        text = ph.estimated.format(text=text)
    return _capitalize(text)


# ---------------------------------------------------------------------------------------------------------------
# The draft


def _fit(sentences: Sequence[str], ph: _Phrasing, limit: int = MAX_FIELD_CHARS) -> str:
    """Whole sentences up to the limit; later sentences go first, and only a lone long sentence is cut."""
    kept = list(sentences)
    while len(kept) > 1 and len(ph.sentence_sep.join(kept)) > limit:
        kept.pop()
    text = ph.sentence_sep.join(kept)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not ph.zh and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


@dataclass(frozen=True)
class _Context:
    ph: _Phrasing
    groups: list[_Group]
    words: list[CategoryWords]
    # Hashtags come in both languages whatever the prose language; the zh ones in the script of the request.
    zh_tag_words: list[CategoryWords]
    en_tag_words: list[CategoryWords]

    @classmethod
    def of(cls, request: WriterRequest) -> _Context:
        lexicon = load_lexicon()
        ph = _PHRASING[request.lang]
        groups = _groups(request.grounding.apps, lexicon)[:_TOP_GROUPS]
        return cls(
            ph=ph,
            groups=groups,
            words=[lexicon.words(g.category, request.lang) for g in groups],
            zh_tag_words=[lexicon.words(g.category, ph.hashtag_lang) for g in groups],
            en_tag_words=[lexicon.words(g.category, "en") for g in groups],
        )

    def labels(self, count: int = _TOP_GROUPS) -> str:
        return _join([w.label for w in self.words[:count]], self.ph)


def _basic_attributes(ctx: _Context, request: WriterRequest) -> tuple[str, list[str]]:
    ph = ctx.ph
    people = _join([w.people for w in ctx.words[:2]], ph)
    people_cited = _cite(ctx.groups[:2])
    figures = _figures_sentence(request.demographics, ph)
    if figures is None:
        return _fit([ph.no_figures.format(people=people)], ph), people_cited
    with_data = sorted((a for a in request.grounding.apps if a.has_audience), key=lambda a: -_weight(a))
    data_cited = [a.name for a in with_data[:_MAX_DATA_CITATIONS] if a.name]
    return _fit([figures, ph.people.format(people=people)], ph), list(dict.fromkeys(data_cited + people_cited))


def _personality(ctx: _Context) -> tuple[str, list[str]]:
    traits, sources = _pick([w.traits for w in ctx.words], _TRAIT_QUOTAS, _MAX_TRAITS)
    text = ctx.ph.personality.format(traits=_join(traits, ctx.ph), labels=ctx.labels())
    return _fit([text], ctx.ph), _cite(ctx.groups[i] for i in sources)


def _psychological_state(ctx: _Context) -> tuple[str, list[str]]:
    top = ctx.words[:2]
    motivations = list(dict.fromkeys(w.motivation for w in top))
    worries = list(dict.fromkeys(w.worry for w in top))
    text = ctx.ph.psych.format(motivations=_join(motivations, ctx.ph), worries=_join(worries, ctx.ph))
    return _fit([text], ctx.ph), _cite(ctx.groups[:2])


def _interests(ctx: _Context) -> tuple[str, list[str]]:
    interests, sources = _pick([w.interests for w in ctx.words], _INTEREST_QUOTAS, _MAX_INTERESTS)
    text = ctx.ph.interests.format(interests=_join(interests, ctx.ph))
    return _fit([text], ctx.ph), _cite(ctx.groups[i] for i in sources)


def _lifestyle(ctx: _Context) -> tuple[str, list[str]]:
    phrases = list(dict.fromkeys(w.lifestyle for w in ctx.words[:2]))
    if len(phrases) == 1:
        text = ctx.ph.lifestyle_one.format(first=phrases[0])
    else:
        text = ctx.ph.lifestyle_two.format(first=phrases[0], second=phrases[1])
    if len(text) > MAX_FIELD_CHARS:
        text = ctx.ph.lifestyle_one.format(first=phrases[0])
    return _fit([text], ctx.ph), _cite(ctx.groups[:2])


def _hashtags(words: Sequence[CategoryWords]) -> list[str]:
    tags, _ = _pick([w.hashtags for w in words], (1, 1, 1), 3)
    return tags


def compose_draft(request: WriterRequest) -> PersonaDraft:
    """The offline draft for a request. Pure: the same request always gives the same draft."""
    ctx = _Context.of(request)
    basic, basic_cited = _basic_attributes(ctx, request)
    personality, personality_cited = _personality(ctx)
    psych, psych_cited = _psychological_state(ctx)
    interests, interests_cited = _interests(ctx)
    lifestyle, lifestyle_cited = _lifestyle(ctx)
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


# ---------------------------------------------------------------------------------------------------------------
# Follow-up analyses (plain text, one bullet per line, in the request language)


def _inline(text: str, limit: int = 60) -> str:
    """User-given names as one short line: no control characters or line breaks that could forge extra bullets."""
    flat = " ".join(_CONTROL_RE.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _name_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _app_names(apps: Sequence[GroundingApp], ph: _Phrasing) -> str:
    names = [_inline(app.name, 40) for app in apps if app.name.strip()]
    return ph.list_sep.join(names) if ph.zh else _join(names, ph)


def partnership_ideas(request: WriterRequest) -> str:
    """Co-marketing partners from the audience's own apps, a message hook and next steps."""
    ctx = _Context.of(request)
    ph = ctx.ph
    lines = [ph.partner_heading]
    for group, words in zip(ctx.groups, ctx.words, strict=True):
        label = words.label if ph.zh else _capitalize(words.label)
        partners = group.apps[:_CITED_APPS_PER_GROUP]
        if any(app.name.strip() for app in partners):
            lines.append(ph.partner_line.format(label=label, apps=_app_names(partners, ph), idea=words.idea))
        else:
            lines.append(ph.partner_line_no_apps.format(label=label, idea=words.idea))
    interests, _ = _pick([w.interests for w in ctx.words], (1, 1), 2)
    lines.append(ph.partner_hook.format(interests=_join(interests, ph), motivation=ctx.words[0].motivation))
    lines.append(ph.partner_next)
    return "\n".join(lines)


def competitor_analysis(request: WriterRequest, product: str, competitors: list[str]) -> str:
    """Where the product and its named competitors stand in the audience's app list, and how to compete."""
    ctx = _Context.of(request)
    ph = ctx.ph
    lexicon = load_lexicon()
    apps = sorted(request.grounding.apps, key=lambda a: -_weight(a))
    index: dict[str, int] = {}
    for rank, app in enumerate(apps, start=1):
        for key in (_name_key(app.name), _name_key(app.app_id or "")):
            if key:
                index.setdefault(key, rank)

    product_name = _inline(product) or ph.your_product
    names: list[str] = []
    seen = {_name_key(product_name)}
    for competitor in competitors:
        name = _inline(competitor)
        if name and _name_key(name) not in seen:
            seen.add(_name_key(name))
            names.append(name)
    names = names[:10]

    def status_line(name: str) -> tuple[str, str | None]:
        """The bullet for one app, and its name as the audience list spells it when it is on the list."""
        rank = index.get(_name_key(name))
        if rank is None:
            return ph.comp_off_list.format(name=name), None
        app = apps[rank - 1]
        # "keep" typed by the user reads as "Keep", the app the audience actually uses.
        listed = _inline(app.name, 40) or name
        score = ph.comp_score.format(score=f"{app.score:g}") if app.score is not None else ""
        key = lexicon.resolve(app.category)
        category = ph.comp_category.format(label=lexicon.words(key, request.lang).label) if key else ""
        line = ph.comp_on_list.format(name=listed, rank=rank, total=len(apps), score=score, category=category)
        return line, listed

    lines = [ph.comp_heading.format(product=product_name)]
    product_line, product_listed = status_line(product_name)
    lines.append(product_line)
    present: list[str] = []
    for name in names:
        line, listed = status_line(name)
        lines.append(line)
        if listed is not None:
            present.append(listed)

    top = ctx.words[:2]
    motivations = list(dict.fromkeys(w.motivation for w in top))
    lines.append(ph.comp_values.format(motivations=_join(motivations, ph), worry=top[0].worry))
    interests, _ = _pick([w.interests for w in ctx.words], (1, 1), 2)
    lines.append(ph.comp_where.format(labels=ctx.labels(2), interests=_join(interests, ph)))

    rivals = _join(list(dict.fromkeys(present)), ph)
    if product_listed and present:
        lines.append(ph.comp_next_both.format(product=product_listed, competitors=rivals))
    elif product_listed:
        lines.append(ph.comp_next_product.format(product=product_listed))
    elif present:
        lines.append(ph.comp_next_competitors.format(competitors=rivals))
    else:
        lines.append(ph.comp_next_none)
    return "\n".join(lines)
