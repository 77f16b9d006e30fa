"""`persona-bot followup`: a follow-up of a persona from the command line, written as the card's buttons write it.

The persona comes from `PersonaService.run`, the follow-up from `FollowUpService.write_once` through the same cache,
rate limits and single-flight as Slack; `--format blocks` prints the very messages Slack would post.
"""

from __future__ import annotations

import argparse
import json

from bot.config import LANGS, Settings
from bot.errors import PersonaError
from bot.followups import FollowUpReport, FollowUpService, get_kind, kinds
from bot.i18n import t


class ProductNeeded(PersonaError):
    """A kind that asks for the product (as its modal does in Slack) was run without `--product`."""

    exit_code = 2


def add_followup_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ids = [kind.id for kind in kinds()]
    p = subparsers.add_parser("followup", help="write a follow-up of a persona: " + ", ".join(ids))
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--segment", metavar="NAME_OR_ID", help="segment id, or its name in Chinese or English")
    src.add_argument("--apps", metavar="TEXT", help='pasted app list, e.g. "小红书 0.92, Keep 0.85"; - reads stdin')
    p.add_argument("--kind", required=True, choices=ids, help="which follow-up")
    p.add_argument("--product", metavar="TEXT", help="your product or brand (what the client sells)")
    p.add_argument("--lang", choices=LANGS, default=None, help="output language (default from settings)")
    p.add_argument("--format", choices=["text", "json", "blocks"], default="text")
    p.set_defaults(func=cmd_followup)


def render_followup_text(report: FollowUpReport, lang: str) -> str:
    """The report as plain text, every point and next action of it."""
    title = get_kind(report.kind).text("title", lang)
    lines = [f"{title} — {report.product}" if report.product else title, "", report.summary, ""]
    lines += [f"• {point}" for point in report.points]
    if report.next_actions:
        lines += ["", t("followup.next", lang), *(f"→ {action}" for action in report.next_actions)]
    footer = t("offline_draft", lang) if report.writer == "offline" else report.model
    lines += ["", f"({footer}{' · ' + report.note if report.note else ''})"]
    return "\n".join(lines)


def cmd_followup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import persona_request
    from bot.service import PersonaService

    kind = get_kind(args.kind)
    product = (args.product or "").strip() or None
    if kind.asks_for_product and not kind.product_optional and product is None:
        raise ProductNeeded(f"the {kind.id} follow-up needs --product (your product or brand).")
    service = PersonaService.from_settings(settings)
    result = service.run(persona_request(args, settings))
    report = FollowUpService.beside(service).write_once(service, kind.id, result, product)
    lang = result.meta.lang
    if args.format == "json":
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif args.format == "blocks":
        from bot.slack.blocks.views import followup_messages

        print(json.dumps(followup_messages(report, lang), ensure_ascii=False, indent=2))
    else:
        print(render_followup_text(report, lang))
    return 0
