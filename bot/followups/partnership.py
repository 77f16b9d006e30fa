"""Partnership ideas: co-marketing partners from the audience's own apps, a message hook and next steps."""

from __future__ import annotations

from collections.abc import Sequence

from bot.followups.kind import FollowUpAsk, FollowUpKind, persona_only
from bot.models import GroundingApp, WriterRequest
from bot.offline_words import CITED_APPS_PER_GROUP, Context, Phrasing, capitalize, inline, join, pick

STRINGS = {
    "en": {
        "button": "Partnership ideas",
        "title": "Partnership ideas",
        "offline.heading": "Partnership ideas for this audience (offline draft):",
        "offline.line": "• {label} apps: partner with {apps} on {idea}.",
        "offline.line_no_apps": "• {label} apps: look for a partner for {idea}.",
        "offline.hook": "• Message: lead with {interests}; this audience is driven by {motivation}.",
        "offline.next": (
            "• Next steps: check how far each partner's users overlap with your customers, approach the best fit "
            "first and pilot a joint offer with its own tracking code."
        ),
    },
    "zh-TW": {
        "button": "合作點子",
        "title": "合作點子",
        "offline.heading": "適合這群受眾的合作提案（離線草稿）：",
        "offline.line": "• {label}類App：與{apps}合作，{idea}。",
        "offline.line_no_apps": "• {label}類App：尋找合作夥伴，{idea}。",
        "offline.hook": "• 溝通重點：以{interests}切入，這群人重視{motivation}。",
        "offline.next": (
            "• 下一步：比對各夥伴用戶與自家客群的重疊度，優先洽談最契合的一家，"
            "並以專屬追蹤碼試辦聯名優惠。"
        ),
    },
    "zh-CN": {
        "button": "合作点子",
        "title": "合作点子",
        "offline.heading": "适合这个人群的合作提案（离线草稿）：",
        "offline.line": "• {label}类应用：与{apps}合作，{idea}。",
        "offline.line_no_apps": "• {label}类应用：寻找合作伙伴，{idea}。",
        "offline.hook": "• 沟通重点：以{interests}切入，这群人看重{motivation}。",
        "offline.next": (
            "• 下一步：比对各伙伴用户与自家客群的重叠度，优先洽谈最契合的一家，"
            "并用专属追踪码试点联名优惠。"
        ),
    },
}


def _app_names(apps: Sequence[GroundingApp], ph: Phrasing) -> str:
    names = [inline(app.name, 40) for app in apps if app.name.strip()]
    return join(names, ph) if ph.spaced_words else ph.list_sep.join(names)


def partnership_ideas(request: WriterRequest) -> str:
    """Co-marketing partners from the audience's own apps, a message hook and next steps."""
    ctx = Context.of(request)
    ph = ctx.ph

    def text(key: str, /, **values: object) -> str:
        return KIND.text(key, request.lang, **values)

    lines = [text("offline.heading")]
    for group, words in zip(ctx.groups, ctx.words, strict=True):
        label = capitalize(words.label) if ph.spaced_words else words.label
        partners = group.apps[:CITED_APPS_PER_GROUP]
        if any(app.name.strip() for app in partners):
            lines.append(text("offline.line", label=label, apps=_app_names(partners, ph), idea=words.idea))
        else:
            lines.append(text("offline.line_no_apps", label=label, idea=words.idea))
    interests, _ = pick([w.interests for w in ctx.words], (1, 1), 2)
    lines.append(text("offline.hook", interests=join(interests, ph), motivation=ctx.words[0].motivation))
    lines.append(text("offline.next"))
    return "\n".join(lines)


def _compose_offline(ask: FollowUpAsk) -> str:
    return partnership_ideas(ask.request)


KIND = FollowUpKind(
    id="partnership",
    template="partnership.v1.txt",
    strings=STRINGS,
    compose_offline=_compose_offline,
    prompt_fields=persona_only,
    button_style="primary",
)
