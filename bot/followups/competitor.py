"""Competitor analysis: the user's product placed in the catalog, its real rivals for this audience (same category,
same market, ranked by the audience's affinity, see `rivals.py`), where the rivals win, where the product can
compete, and next steps for this audience. Asks for the product first."""

from __future__ import annotations

from bot.followups.kind import FollowUpAsk, FollowUpKind
from bot.followups.rivals import Placement, Rival, audience_market, listed_entry, place_product, rivals, used_in
from bot.lexicon import CategoryWords, load_lexicon
from bot.localized import market_name
from bot.models import GroundingApp
from bot.offline_words import Context, inline, join
from bot.prompting import data_json

# Index at or above which an app counts as one the audience over-indexes on (2× the average person).
HIGH_INDEX = 200

STRINGS = {
    "en": {
        "button": "Competitor analysis",
        "title": "Competitor analysis",
        "offline.your_product": "your product",
        "offline.this_audience": "this audience",
        "offline.heading": "{product} against its {label} rivals for {audience} ({market}), offline draft:",
        "offline.product_listed": "• {product} is already on their list: #{rank} of {total}{figures}.",
        "offline.product_unlisted": "• {product} is a {label} app in our catalog but not on this audience's list.",
        "offline.product_category": (
            "• {product} is not in our catalog; it is compared with the {label} apps used in {market}."
        ),
        "offline.product_guess": (
            "• {product} is not in our catalog and its category is unclear; it is compared with the {label} apps, "
            "this audience's strongest category."
        ),
        "offline.product_elsewhere": "• Note: our catalog lists {product} in {markets}, not in {market}.",
        "offline.rival_listed": "• Rival {name}: #{rank} of {total} on their list{figures}.",
        "offline.rival_unlisted": "• Rival {name}: used in {market}, not on this audience's list.",
        "offline.no_rivals": "• No other {label} app in our catalog is used in {market}.",
        "offline.score": ", score {score}",
        "offline.index": ", {times}× {baseline}",
        "offline.rivals_win": (
            "• Where the rivals win: {leader} already holds this audience{figures}; they turn to it for {motivation}."
        ),
        "offline.rivals_win_none": (
            "• Where the rivals win: none of them is on this audience's list, so no rival owns {audience} yet."
        ),
        "offline.compete": (
            "• Where {product} can compete: answer their worry about {worry} better than {leader}, and meet them in "
            "{places}, where they spend time."
        ),
        "offline.next_defend": (
            "→ Build on the foothold with {audience}: {product} is already #{rank} on their list, {standing}; "
            "match {leader}'s offer and promote inside {places}."
        ),
        "offline.standing_ahead": "ahead of {leader} (#{leader_rank})",
        "offline.standing_behind": "behind {leader} (#{leader_rank})",
        "offline.standing_alone": "the only {label} app on it",
        "offline.next_switch": (
            "→ Give {audience} a reason to switch from {leader}: an offer that answers their worry about {worry}, "
            "promoted inside {places}."
        ),
        "offline.next_first": (
            "→ Move first with {audience}: no {label} app owns them yet; test a small campaign inside {places}."
        ),
        "offline.next_track": "→ Track how many of {audience} try {product} against {leader} over the next month.",
    },
    "zh-TW": {
        "button": "競品分析",
        "title": "競品分析",
        "offline.your_product": "你的產品",
        "offline.this_audience": "這群受眾",
        "offline.heading": "{product}在{audience}（{market}）的{label}類競品分析（離線草稿）：",
        "offline.product_listed": "• {product}已在他們的清單上：{total}個中排第{rank}{figures}。",
        "offline.product_unlisted": "• {product}是目錄中的{label}類App，但不在這群受眾的清單上。",
        "offline.product_category": "• {product}不在我們的目錄中，以下與{market}常用的{label}類App比較。",
        "offline.product_guess": "• {product}不在我們的目錄中，類別也不明確，以下與這群受眾最強的{label}類App比較。",
        "offline.product_elsewhere": "• 注意：目錄中{product}的市場是{markets}，不在{market}。",
        "offline.rival_listed": "• 競品{name}：清單上{total}個中排第{rank}{figures}。",
        "offline.rival_unlisted": "• 競品{name}：在{market}使用，但不在這群受眾的清單上。",
        "offline.no_rivals": "• 目錄中沒有其他在{market}使用的{label}類App。",
        "offline.score": "，分數{score}",
        "offline.index": "，使用率為{baseline}的{times}倍",
        "offline.rivals_win": "• 競品的優勢：{leader}已掌握這群受眾{figures}；他們靠它來{motivation}。",
        "offline.rivals_win_none": "• 競品的優勢：競品都不在清單上，還沒有哪個對手拿下{audience}。",
        "offline.compete": (
            "• {product}的切入點："
            "比{leader}更好地化解他們對{worry}的擔憂，並在他們常用的{places}接觸他們。"
        ),
        "offline.next_defend": (
            "→ 鞏固在{audience}中的位置：{product}已排在他們清單第{rank}位，{standing}；"
            "跟進{leader}的優惠，並在{places}推廣。"
        ),
        "offline.standing_ahead": "領先{leader}（第{leader_rank}位）",
        "offline.standing_behind": "排在{leader}（第{leader_rank}位）之後",
        "offline.standing_alone": "是清單上唯一的{label}類App",
        "offline.next_switch": "→ 給{audience}從{leader}轉換的理由：推出化解{worry}擔憂的優惠，在{places}推廣。",
        "offline.next_first": "→ 搶先布局{audience}：還沒有{label}類App拿下他們，先在{places}小規模測試活動。",
        "offline.next_track": "→ 追蹤接下來一個月{audience}中有多少人試用{product}而非{leader}。",
    },
    "zh-CN": {
        "button": "竞品分析",
        "title": "竞品分析",
        "offline.your_product": "你的产品",
        "offline.this_audience": "这个人群",
        "offline.heading": "{product}在{audience}（{market}）的{label}类竞品分析（离线草稿）：",
        "offline.product_listed": "• {product}已在他们的列表中：{total}个中排第{rank}{figures}。",
        "offline.product_unlisted": "• {product}是目录中的{label}类应用，但不在这个人群的列表中。",
        "offline.product_category": "• {product}不在我们的目录中，以下与{market}常用的{label}类应用比较。",
        "offline.product_guess": "• {product}不在我们的目录中，类别也不明确，以下与这个人群最强的{label}类应用比较。",
        "offline.product_elsewhere": "• 注意：目录中{product}的市场是{markets}，不在{market}。",
        "offline.rival_listed": "• 竞品{name}：列表中{total}个里排第{rank}{figures}。",
        "offline.rival_unlisted": "• 竞品{name}：在{market}使用，但不在这个人群的列表中。",
        "offline.no_rivals": "• 目录中没有其他在{market}使用的{label}类应用。",
        "offline.score": "，分数{score}",
        "offline.index": "，使用率为{baseline}的{times}倍",
        "offline.rivals_win": "• 竞品的优势：{leader}已占据这个人群{figures}；他们靠它来{motivation}。",
        "offline.rivals_win_none": "• 竞品的优势：竞品都不在列表中，还没有哪个对手拿下{audience}。",
        "offline.compete": (
            "• {product}的切入点："
            "比{leader}更好地消除他们对{worry}的顾虑，并在他们常用的{places}触达他们。"
        ),
        "offline.next_defend": (
            "→ 巩固在{audience}中的位置：{product}已排在他们列表第{rank}位，{standing}；"
            "跟进{leader}的优惠，并在{places}推广。"
        ),
        "offline.standing_ahead": "领先{leader}（第{leader_rank}位）",
        "offline.standing_behind": "排在{leader}（第{leader_rank}位）之后",
        "offline.standing_alone": "是列表中唯一的{label}类应用",
        "offline.next_switch": "→ 给{audience}从{leader}转换的理由：推出消除{worry}顾虑的优惠，在{places}推广。",
        "offline.next_first": "→ 抢先布局{audience}：还没有{label}类应用拿下他们，先在{places}小规模测试活动。",
        "offline.next_track": "→ 跟踪接下来一个月{audience}中有多少人试用{product}而不是{leader}。",
    },
}


def _figures(ask: FollowUpAsk, listed: GroundingApp) -> str:
    parts = []
    if listed.score is not None:
        parts.append(ask.text("offline.score", score=f"{listed.score:g}"))
    if listed.index is not None and listed.index >= 100:
        parts.append(ask.text("offline.index", times=f"{listed.index / 100:.1f}", baseline=ask.baseline))
    return "".join(parts)


def _rival_name(rival: Rival) -> str:
    """The rival as the audience's list spells it, else as the catalog does."""
    return rival.listed.name if rival.listed else rival.app.name


def _category_words(ask: FollowUpAsk, category: str | None) -> CategoryWords | None:
    """The lexicon's words for `category`, or None when the lexicon does not know it."""
    lexicon = load_lexicon()
    key = lexicon.resolve(category)
    return lexicon.words(key, ask.lang) if key else None


def _label(ask: FollowUpAsk, category: str | None) -> str:
    lexicon = load_lexicon()
    return (_category_words(ask, category) or lexicon.words(lexicon.fallback, ask.lang)).label


def over_indexing(ask: FollowUpAsk, *, exclude: set[str], limit: int = 2) -> list[GroundingApp]:
    """The audience's apps it uses most out of proportion to its market (index, then confidence)."""
    apps = [a for a in ask.result.apps if a.app_id not in exclude and a.name.strip()]
    apps.sort(key=lambda a: (-(a.index or 0.0), -(a.score or a.weight or 0.0)))
    return apps[:limit]


def analysis(ask: FollowUpAsk) -> tuple[Placement, list[Rival], list[str]]:
    """The placement, the rivals and the offline report's lines (the first is the summary)."""
    catalog = ask.catalog()
    ctx = Context.of(ask.request)
    ph = ctx.ph
    market = audience_market(ask.result, catalog)
    placement = place_product(ask.product or "", ask.result, catalog)
    found = rivals(placement, ask.result, catalog, market=market)
    segment = ask.result.segment
    audience = inline(segment.localized_name(ask.lang), 60) if segment else ask.text("offline.this_audience")
    where = market_name(market, ask.lang)
    product = inline(ask.product or "") if (ask.product or "").strip(" ?") else ask.text("offline.your_product")
    label = _label(ask, placement.category)
    total = len(ask.result.apps)

    lines = [ask.text("offline.heading", product=product, label=label, audience=audience, market=where)]
    own = listed_entry(placement, ask.result)
    if own is not None:
        lines.append(ask.text("offline.product_listed", product=product, rank=own[1], total=total,
                              figures=_figures(ask, own[0])))
    elif placement.placed_by == "catalog":
        lines.append(ask.text("offline.product_unlisted", product=product, label=label))
    elif placement.placed_by == "category":
        lines.append(ask.text("offline.product_category", product=product, label=label, market=where))
    else:
        lines.append(ask.text("offline.product_guess", product=product, label=label))
    if placement.app is not None and own is None and not used_in(placement.app, market):
        markets = "/".join(market_name(m, ask.lang) for m in placement.app.market)
        lines.append(ask.text("offline.product_elsewhere", product=product, markets=markets, market=where))
    for rival in found:
        name = inline(_rival_name(rival), 40)
        if rival.listed is not None:
            lines.append(ask.text("offline.rival_listed", name=name, rank=rival.rank, total=total,
                                  figures=_figures(ask, rival.listed)))
        else:
            lines.append(ask.text("offline.rival_unlisted", name=name, market=where))
    if not found:
        lines.append(ask.text("offline.no_rivals", label=label, market=where))

    # Why people use the product's kind of app, and what worries them about it: the category's own words, not
    # those of the audience's top app (a coffee chain's queues are not a delivery app's worry).
    top_words = _category_words(ask, placement.category) or ctx.words[0]
    leader = found[0] if found else None
    leader_name = inline(_rival_name(leader), 40) if leader else label
    if leader is not None and leader.listed is not None:
        lines.append(ask.text("offline.rivals_win", leader=leader_name, figures=_figures(ask, leader.listed),
                              motivation=top_words.motivation))
    else:
        lines.append(ask.text("offline.rivals_win_none", audience=audience))
    exclude = {r.app.app_id for r in found} | ({placement.app.app_id} if placement.app else set())
    places = [inline(a.name, 40) for a in over_indexing(ask, exclude=exclude)]
    places_text = join(places, ph) if places else ctx.labels(2)
    lines.append(ask.text("offline.compete", product=product, worry=top_words.worry, leader=leader_name,
                          places=places_text))
    if own is not None:
        # Where the product stands against the strongest listed rival: never "beside" one it trails by three places.
        if leader is None or leader.rank is None:
            standing = ask.text("offline.standing_alone", label=label)
        else:
            key = "offline.standing_ahead" if own[1] < leader.rank else "offline.standing_behind"
            standing = ask.text(key, leader=leader_name, leader_rank=leader.rank)
        lines.append(ask.text("offline.next_defend", audience=audience, product=product, rank=own[1],
                              standing=standing, leader=leader_name, places=places_text))
    elif leader is not None and leader.listed is not None:
        lines.append(ask.text("offline.next_switch", audience=audience, leader=leader_name, worry=top_words.worry,
                              places=places_text))
    else:
        lines.append(ask.text("offline.next_first", audience=audience, label=label, places=places_text))
    lines.append(ask.text("offline.next_track", audience=audience, product=product, leader=leader_name))
    return placement, found, lines


def _compose_offline(ask: FollowUpAsk) -> str:
    return "\n".join(analysis(ask)[2])


def _prompt_fields(ask: FollowUpAsk) -> dict[str, str]:
    placement, found, _ = analysis(ask)
    market = audience_market(ask.result, ask.catalog())

    def entry(rival: Rival) -> dict[str, object]:
        listed = rival.listed
        return {"name": _rival_name(rival), "on_their_list": listed is not None,
                "rank": rival.rank, "score": listed.score if listed else None,
                "index": round(listed.index) if listed and listed.index is not None else None}

    placed = {
        "product": ask.product,
        "in_catalog": placement.app is not None,
        "catalog_name": placement.app.name if placement.app else None,
        "category": placement.category,
        "market": market_name(market, ask.lang),
    }
    return {"product": data_json(placed), "competitors": data_json([entry(r) for r in found]),
            "data": ask.persona_data}


KIND = FollowUpKind(
    id="competitor",
    template="competitor.v2.txt",
    strings=STRINGS,
    compose_offline=_compose_offline,
    prompt_fields=_prompt_fields,
    asks_for_product=True,
)
