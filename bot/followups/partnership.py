"""Partnership ideas: co-marketing partners among the apps this audience uses far more than its market does, each
with its index, a concrete format for its category and a next step. Asks (optionally) what the client sells."""

from __future__ import annotations

from bot.followups.kind import FollowUpAsk, FollowUpKind
from bot.followups.rivals import audience_market, place_product, used_in
from bot.lexicon import load_lexicon
from bot.localized import market_name
from bot.models import GroundingApp
from bot.offline_words import Context, inline, join
from bot.prompting import data_json

MAX_PARTNERS = 4
# An index above this says the audience uses the app more than the average person in its market.
OVER_INDEX = 110

STRINGS = {
    "en": {
        "button": "Partnership ideas",
        "title": "Partnership ideas",
        "offline.your_brand": "your brand",
        "offline.this_audience": "this audience",
        "offline.heading": "Partners for {product} to reach {audience} ({market}), offline draft:",
        "offline.partner": "• {name} ({label}, {times}× {baseline}): {idea}.",
        "offline.partner_no_index": "• {name} ({label}, score {score} on their list): {idea}.",
        "offline.why": "• Why these: of all their apps, these are the ones used most out of proportion to the "
                       "market, so a joint offer reaches {audience} where the rest of the market is not.",
        "offline.why_no_index": "• Why these: the data has no index for this audience, so these are its strongest "
                                "apps by score.",
        "offline.hook": "• Message: lead with {interests}; what drives {audience} is {motivation}.",
        "offline.next": "→ {name}: propose {idea} for {audience} to its partnerships team, with an offer from "
                        "{product} and a tracking code of its own.",
        "offline.next_first": "→ Start with {name} ({times}× {baseline}): it is the partner most specific to "
                              "{audience}.",
    },
    "zh-TW": {
        "button": "合作點子",
        "title": "合作點子",
        "offline.your_brand": "你的品牌",
        "offline.this_audience": "這群受眾",
        "offline.heading": "{product}觸及{audience}（{market}）的合作夥伴（離線草稿）：",
        "offline.partner": "• {name}（{label}類，使用率為{baseline}的{times}倍）：{idea}。",
        "offline.partner_no_index": "• {name}（{label}類，清單分數{score}）：{idea}。",
        "offline.why": "• 選擇理由：這些是{audience}使用率最高於市場平均的App，聯名活動能觸及其他品牌觸及不到的人。",
        "offline.why_no_index": "• 選擇理由：資料沒有這群受眾的指數，以下依清單分數列出最強的App。",
        "offline.hook": "• 溝通重點：以{interests}切入，{audience}重視{motivation}。",
        "offline.next": "→ {name}：向其合作窗口提案，為{audience}{idea}，搭配{product}提供的優惠與專屬追蹤碼。",
        "offline.next_first": "→ 先找{name}（{baseline}的{times}倍）：它是最能代表{audience}的夥伴。",
    },
    "zh-CN": {
        "button": "合作点子",
        "title": "合作点子",
        "offline.your_brand": "你的品牌",
        "offline.this_audience": "这个人群",
        "offline.heading": "{product}触达{audience}（{market}）的合作伙伴（离线草稿）：",
        "offline.partner": "• {name}（{label}类，使用率为{baseline}的{times}倍）：{idea}。",
        "offline.partner_no_index": "• {name}（{label}类，列表分数{score}）：{idea}。",
        "offline.why": "• 选择理由：这些是{audience}使用率最高于市场平均的应用，联名活动能触达其他品牌触达不到的人。",
        "offline.why_no_index": "• 选择理由：数据没有这个人群的指数，以下按列表分数列出最强的应用。",
        "offline.hook": "• 沟通重点：以{interests}切入，{audience}看重{motivation}。",
        "offline.next": "→ {name}：向其合作团队提案，为{audience}{idea}，搭配{product}提供的优惠和专属追踪码。",
        "offline.next_first": "→ 先找{name}（{baseline}的{times}倍）：它是最能代表{audience}的伙伴。",
    },
}


def partners(ask: FollowUpAsk) -> list[GroundingApp]:
    """The audience's apps in its market that it over-indexes on most (by index, then score); without any index,
    its strongest apps by score. Apps of the client's own category are rivals, not partners."""
    catalog = ask.catalog()
    market = audience_market(ask.result, catalog)
    by_id = {app.app_id: app for app in catalog}
    own_category = place_product(ask.product, ask.result, catalog).category if ask.product else None
    lexicon = load_lexicon()
    apps = [a for a in ask.result.apps if a.name.strip() and a.category != own_category
            and (a.app_id not in by_id or used_in(by_id[a.app_id], market))]
    over = [a for a in apps if a.index is not None and a.index >= OVER_INDEX]
    chosen = sorted(over, key=lambda a: (-(a.index or 0.0), -(a.score or 0.0))) if over else \
        sorted(apps, key=lambda a: -(a.score or a.weight or 0.0))
    picked: list[GroundingApp] = []
    categories: set[str | None] = set()
    # One partner per category first, so the formats differ; then the rest by rank.
    for app in chosen:
        key = lexicon.resolve(app.category)
        if key not in categories:
            picked.append(app)
            categories.add(key)
    picked += [a for a in chosen if a not in picked]
    return picked[:MAX_PARTNERS]


def _compose_offline(ask: FollowUpAsk) -> str:
    ctx = Context.of(ask.request)
    lexicon = load_lexicon()
    segment = ask.result.segment
    audience = inline(segment.localized_name(ask.lang), 60) if segment else ask.text("offline.this_audience")
    market = market_name(audience_market(ask.result, ask.catalog()), ask.lang)
    product = inline(ask.product) if ask.product else ask.text("offline.your_brand")
    chosen = partners(ask)
    indexed = any(a.index is not None for a in chosen)
    lines = [ask.text("offline.heading", product=product, audience=audience, market=market)]
    next_steps = []
    for app in chosen:
        words = lexicon.words(lexicon.resolve(app.category) or lexicon.fallback, ask.lang)
        name = inline(app.name, 40)
        if app.index is not None:
            lines.append(ask.text("offline.partner", name=name, label=words.label, times=f"{app.index / 100:.1f}",
                                  baseline=ask.baseline, idea=words.idea))
        else:
            score = f"{app.score:g}" if app.score is not None else "?"
            lines.append(ask.text("offline.partner_no_index", name=name, label=words.label, score=score,
                                  idea=words.idea))
        next_steps.append(ask.text("offline.next", name=name, idea=words.idea, audience=audience, product=product))
    lines.append(ask.text("offline.why", audience=audience) if indexed else ask.text("offline.why_no_index"))
    interests = [w.interests[0] for w in ctx.words[:2]]
    lines.append(ask.text("offline.hook", interests=join(interests, ctx.ph), audience=audience,
                          motivation=ctx.words[0].motivation))
    first = chosen[0] if chosen else None
    if first is not None and first.index is not None:
        lines.append(ask.text("offline.next_first", name=inline(first.name, 40), times=f"{first.index / 100:.1f}",
                              baseline=ask.baseline, audience=audience))
    return "\n".join(lines + next_steps)


def _prompt_fields(ask: FollowUpAsk) -> dict[str, str]:
    lexicon = load_lexicon()
    chosen = [{"name": a.name, "category": a.category, "index": round(a.index) if a.index is not None else None,
               "score": a.score,
               "format_idea": lexicon.words(lexicon.resolve(a.category) or lexicon.fallback, ask.lang).idea}
              for a in partners(ask)]
    client = {"sells": ask.product, "market": market_name(audience_market(ask.result, ask.catalog()), ask.lang)}
    return {"product": data_json(client), "partners": data_json(chosen), "data": ask.persona_data}


KIND = FollowUpKind(
    id="partnership",
    template="partnership.v2.txt",
    strings=STRINGS,
    compose_offline=_compose_offline,
    prompt_fields=_prompt_fields,
    asks_for_product=True,
    product_optional=True,
    button_style="primary",
)
