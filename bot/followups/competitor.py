"""Competitor analysis: where the user's product and the catalog's apps in the audience's categories stand in its
app list, and how to compete. Asks for the product first."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.followups.kind import FollowUpAsk, FollowUpKind
from bot.lexicon import load_lexicon
from bot.models import CatalogApp, GroundingApp, WriterRequest
from bot.offline_words import Context, inline, join, pick, weight
from bot.prompting import data_json

COMPETITORS_PER_CATEGORY = 8
MAX_CATEGORIES = 5
# Named competitors in the offline analysis: more bullets than this bury the advice under the list.
_MAX_NAMED = 10

STRINGS = {
    "en": {
        "button": "Competitor analysis",
        "title": "Competitor analysis",
        "offline.your_product": "your product",
        "offline.heading": "Competitive view for {product} (offline draft, from this audience's app list):",
        "offline.on_list": "• {name}: on their list (#{rank} of {total}{score}{category}).",
        "offline.score": ", score {score}",
        "offline.category": ", {label}",
        "offline.off_list": "• {name}: not on their list.",
        "offline.values": "• What wins them over: {motivations}; answer their worry about {worry}.",
        "offline.where": (
            "• Where to compete: alongside the {labels} apps "
            "they already use, with content on {interests}."
        ),
        "offline.next_both": (
            "• Next steps: {product} shares this audience with {competitors}; compare offers side by side and lead "
            "with what sets {product} apart."
        ),
        "offline.next_product": (
            "• Next steps: {product} is on their list and no named competitor is; protect that lead with loyalty "
            "perks and partners from the categories above."
        ),
        "offline.next_competitors": (
            "• Next steps: {competitors} already reach this audience; win them over with a clear reason to switch "
            "and a partner from the categories above."
        ),
        "offline.next_none": (
            "• Next steps: none of the named apps is on their list yet, so there is room to move first; test a "
            "small campaign in the categories above."
        ),
    },
    "zh-TW": {
        "button": "競品分析",
        "title": "競品分析",
        "offline.your_product": "你的產品",
        "offline.heading": "{product}的競品分析（離線草稿，依這群受眾的App清單）：",
        "offline.on_list": "• {name}：在清單上（{total}個中排第{rank}{score}{category}）。",
        "offline.score": "，分數{score}",
        "offline.category": "，{label}類",
        "offline.off_list": "• {name}：不在清單上。",
        "offline.values": "• 打動他們的關鍵：{motivations}；也要化解他們對{worry}的擔憂。",
        "offline.where": "• 主戰場：他們常用的{labels}類App，內容可圍繞{interests}。",
        "offline.next_both": (
            "• 下一步：{product}與{competitors}都觸及這群受眾，"
            "建議並列比較優惠，主打{product}的差異化優勢。"
        ),
        "offline.next_product": (
            "• 下一步：{product}已在清單上，列出的競品都不在，"
            "可用會員回饋與上述類別的合作夥伴鞏固領先。"
        ),
        "offline.next_competitors": (
            "• 下一步：{competitors}已觸及這群受眾，"
            "需要給他們明確的轉換理由，並找上述類別的夥伴合作。"
        ),
        "offline.next_none": "• 下一步：列出的App都還不在清單上，仍有搶先布局的空間，可先在上述類別小規模測試活動。",
    },
    "zh-CN": {
        "button": "竞品分析",
        "title": "竞品分析",
        "offline.your_product": "你的产品",
        "offline.heading": "{product}的竞品分析（离线草稿，基于这个人群的应用列表）：",
        "offline.on_list": "• {name}：在列表中（{total}个中排第{rank}{score}{category}）。",
        "offline.score": "，分数{score}",
        "offline.category": "，{label}类",
        "offline.off_list": "• {name}：不在列表中。",
        "offline.values": "• 打动他们的关键：{motivations}；也要消除他们对{worry}的顾虑。",
        "offline.where": "• 主战场：他们常用的{labels}类应用，内容可围绕{interests}展开。",
        "offline.next_both": (
            "• 下一步：{product}和{competitors}都覆盖这个人群，"
            "建议并列比较优惠，突出{product}的差异化优势。"
        ),
        "offline.next_product": (
            "• 下一步：{product}已在列表中，列出的竞品都不在，"
            "可用会员权益和上述类别的合作伙伴巩固领先。"
        ),
        "offline.next_competitors": (
            "• 下一步：{competitors}已覆盖这个人群，"
            "需要给他们明确的转换理由，并寻找上述类别的伙伴合作。"
        ),
        "offline.next_none": "• 下一步：列出的应用都还不在列表中，仍有抢先布局的空间，可先在上述类别小规模测试活动。",
    },
}


def competing_apps(apps: Sequence[GroundingApp], catalog: Sequence[CatalogApp]) -> dict[str, list[str]]:
    """Catalog apps in the same categories as the persona's apps, strongest categories first."""
    category_weight: dict[str, float] = {}
    for app in apps:
        if app.category:
            category_weight[app.category] = category_weight.get(app.category, 0.0) + (app.score or app.weight or 0.0)
    top = sorted(category_weight, key=lambda c: -category_weight[c])[:MAX_CATEGORIES]
    by_category: dict[str, list[str]] = {c: [] for c in top}
    for app in catalog:
        names = by_category.get(app.category)
        if names is not None and len(names) < COMPETITORS_PER_CATEGORY:
            names.append(app.name)
    return by_category


def _name_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def competitor_analysis(request: WriterRequest, product: str, competitors: list[str]) -> str:
    """Where the product and its named competitors stand in the audience's app list, and how to compete."""
    ctx = Context.of(request)
    ph = ctx.ph
    lexicon = load_lexicon()

    def text(key: str, /, **values: object) -> str:
        return KIND.text(key, request.lang, **values)

    apps = sorted(request.grounding.apps, key=lambda a: -weight(a))
    index: dict[str, int] = {}
    for rank, app in enumerate(apps, start=1):
        for key in (_name_key(app.name), _name_key(app.app_id or "")):
            if key:
                index.setdefault(key, rank)

    product_name = inline(product) or text("offline.your_product")
    names: list[str] = []
    seen = {_name_key(product_name)}
    for competitor in competitors:
        name = inline(competitor)
        if name and _name_key(name) not in seen:
            seen.add(_name_key(name))
            names.append(name)
    names = names[:_MAX_NAMED]

    def status_line(name: str) -> tuple[str, str | None]:
        """The bullet for one app, and its name as the audience list spells it when it is on the list."""
        rank = index.get(_name_key(name))
        if rank is None:
            return text("offline.off_list", name=name), None
        app = apps[rank - 1]
        # "keep" typed by the user reads as "Keep", the app the audience actually uses.
        listed = inline(app.name, 40) or name
        score = text("offline.score", score=f"{app.score:g}") if app.score is not None else ""
        key = lexicon.resolve(app.category)
        category = text("offline.category", label=lexicon.words(key, request.lang).label) if key else ""
        line = text("offline.on_list", name=listed, rank=rank, total=len(apps), score=score, category=category)
        return line, listed

    lines = [text("offline.heading", product=product_name)]
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
    lines.append(text("offline.values", motivations=join(motivations, ph), worry=top[0].worry))
    interests, _ = pick([w.interests for w in ctx.words], (1, 1), 2)
    lines.append(text("offline.where", labels=ctx.labels(2), interests=join(interests, ph)))

    rivals = join(list(dict.fromkeys(present)), ph)
    if product_listed and present:
        lines.append(text("offline.next_both", product=product_listed, competitors=rivals))
    elif product_listed:
        lines.append(text("offline.next_product", product=product_listed))
    elif present:
        lines.append(text("offline.next_competitors", competitors=rivals))
    else:
        lines.append(text("offline.next_none"))
    return "\n".join(lines)


def _competing(ask: FollowUpAsk) -> dict[str, list[str]]:
    return competing_apps(ask.result.apps, ask.catalog())


def _compose_offline(ask: FollowUpAsk) -> str:
    names = [name for group in _competing(ask).values() for name in group]
    return competitor_analysis(ask.request, ask.product or "", names)


def _prompt_fields(ask: FollowUpAsk) -> dict[str, str]:
    return {"product": data_json(ask.product), "competitors": data_json(_competing(ask)), "data": ask.persona_data}


KIND = FollowUpKind(
    id="competitor",
    template="competitor.v1.txt",
    strings=STRINGS,
    compose_offline=_compose_offline,
    prompt_fields=_prompt_fields,
    asks_for_product=True,
)
