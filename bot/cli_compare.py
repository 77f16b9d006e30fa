"""`persona-bot compare A B [C D]`: segments side by side, as text, JSON or the Slack message."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.config import LANGS, Settings


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from bot.compare import compare_segments
    from bot.compare_writer import with_written_summary
    from bot.service import PersonaService

    service = PersonaService.from_settings(settings)
    comparison = compare_segments(service, args.segments, args.lang or settings.default_lang)
    llm = service.writer if service.writer.kind == "llm" else None
    comparison = with_written_summary(comparison, service.writes, llm)
    if args.format == "json":
        print(json.dumps(comparison.model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif args.format == "blocks":
        from bot.slack.blocks.compare import comparison_message

        print(json.dumps(comparison_message(comparison), ensure_ascii=False, indent=2))
    else:
        from bot.compare_render import render_comparison_text

        print(render_comparison_text(comparison), end="")
    return 0


def add_compare_command(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare 2 to 4 segments side by side")
    p.add_argument("segments", nargs="+", metavar="SEGMENT", help="segment ids or names (2 to 4)")
    p.add_argument("--lang", choices=LANGS, default=None, help="output language (default from settings)")
    p.add_argument("--format", choices=["text", "json", "blocks"], default="text")
    p.set_defaults(func=cmd_compare)
