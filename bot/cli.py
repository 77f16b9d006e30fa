"""`persona-bot`: one command per job.

Bad input gets one friendly line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.cli_compare import add_compare_command
from bot.config import LANGS, Settings, get_settings
from bot.errors import PersonaError
from bot.localized import count, segment_name
from bot.text_render import display_width, pad

if TYPE_CHECKING:
    from bot.store import PersonaRequest

log = logging.getLogger("bot.cli")

EXIT_USAGE = 2


class UsageError(PersonaError):
    """Options that do not go together."""

    exit_code = EXIT_USAGE


def _read_arg(value: str) -> str:
    """`-` means standard input, as in most Unix tools."""
    if value == "-":
        return sys.stdin.read()
    return value


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    # CJK characters take two terminal columns; aligning by len() would skew every Chinese row.
    widths = [max(display_width(h), *(display_width(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --- commands ----------------------------------------------------------------------------------------------------


def cmd_segments(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import PersonaService

    segments = PersonaService.from_settings(settings).segments()
    if args.format == "json":
        _print_json([s.model_dump(mode="json") for s in segments])
        return 0
    lang = args.lang or settings.default_lang
    rows = [
        [s.id, segment_name(s, lang), count(s.size, lang) if s.size is not None else "", ", ".join(s.top_apps)]
        for s in segments
    ]
    print(_table(["id", "name", "size", "top apps"], rows))
    return 0


def persona_request(args: argparse.Namespace, settings: Settings) -> PersonaRequest:
    """The persona `--segment` or `--apps` asks for, in `--lang` (or the default language)."""
    from bot.store import PersonaRequest

    lang = args.lang or settings.default_lang
    if args.segment is not None:
        return PersonaRequest(kind="segment", query=args.segment, lang=lang)
    return PersonaRequest(kind="apps", query=_read_arg(args.apps), lang=lang)


def cmd_persona(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import PersonaService

    # Through the cache: with REDIS_URL a second identical run is a hit (meta.cached) and costs no LLM call.
    service = PersonaService.from_settings(settings)
    request = persona_request(args, settings)
    if args.format == "pptx" and not args.output:
        raise UsageError("--format pptx writes a file: add --output FILE.pptx")
    result = service.run(request, refresh=args.refresh)
    if args.format == "pptx":
        from bot.export_pptx import persona_pptx

        try:
            Path(args.output).write_bytes(persona_pptx(result))
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
        print(f"Wrote {args.output}", file=sys.stderr)
    elif args.format == "json":
        _print_json(result.model_dump(mode="json"))
    elif args.format == "blocks":
        from bot.slack.blocks.card import persona_card

        _print_json(persona_card(result))
    else:
        from bot.text_render import render_text

        print(render_text(result))
    return 0


def cmd_parse_apps(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import PersonaService

    text = _read_arg(args.text) if args.text is not None else sys.stdin.read()
    grounding = PersonaService.from_settings(settings).ground_apps(text)
    # `merged_from` appears on an entry that other pasted names for the same app were merged into.
    _print_json([{"name": a.name, "score": a.score, "app_id": a.app_id} | ({"merged_from": a.merged_from}
                 if a.merged_from else {}) for a in grounding.apps])
    return 0


def cmd_warehouse_load(args: argparse.Namespace, settings: Settings) -> int:
    from bot.dataset import read_dataset
    from bot.warehouse import open_warehouse

    dataset = read_dataset(Path(args.directory))  # everything is validated before anything is written
    warehouse = open_warehouse(settings)
    warehouse.load(dataset)
    print(
        f"Loaded {len(dataset.apps)} apps, {len(dataset.segments)} segments, "
        f"{len(dataset.segment_apps)} segment apps and {len(dataset.audience)} audience rows "
        f"into the {settings.warehouse} warehouse."
    )
    return 0


def cmd_warehouse_init(args: argparse.Namespace, settings: Settings) -> int:
    from bot.warehouse import open_warehouse

    warehouse = open_warehouse(settings)
    if not warehouse.init_tables():
        print(f"The {settings.warehouse} warehouse creates its tables on first use; nothing to do.")
        return 0
    print("Tables are ready.")
    return 0


def cmd_warehouse_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.warehouse import open_warehouse

    warehouse = open_warehouse(settings)
    estimates = warehouse.dry_run_estimates()
    if estimates is None:
        segments = warehouse.list_segments()
        print(f"The {settings.warehouse} warehouse answers: {len(segments)} segments. No query costs apply.")
        return 0
    rows = [[name, f"{nbytes:,}"] for name, nbytes in estimates]
    print(_table(["query", "bytes (dry run)"], rows))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.http_server import serve

    serve(settings, host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack.app import SlackConfigError, create_app

    if settings.slack_app_token is None:
        raise SlackConfigError("SLACK_APP_TOKEN (xapp-…) is not set; Socket Mode needs an app-level token.")
    from bot.logging_setup import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    bot = create_app(settings, socket_mode=True)
    print("persona-bot is connected to Slack in Socket Mode. Press Ctrl+C to stop.", file=sys.stderr)
    SocketModeHandler(bot.app, settings.slack_app_token.get_secret_value()).start()
    return 0


# --- parser ------------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage plus the error; keep it to one friendly line and the usage exit code.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="persona-bot", description="Grounded audience personas from app preference lists.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("segments", help="list the segments in the warehouse")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--lang", choices=LANGS, help="language of the names (default PERSONA_DEFAULT_LANG)")
    p.set_defaults(func=cmd_segments)

    p = sub.add_parser("persona", help="write a persona for a segment or a pasted app list")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--segment", metavar="NAME_OR_ID", help="segment id, or its name in Chinese or English")
    src.add_argument("--apps", metavar="TEXT", help='pasted app list, e.g. "小红书 0.92, Keep 0.85"; - reads stdin')
    p.add_argument("--lang", choices=LANGS, default=None, help="output language (default from settings)")
    p.add_argument("--format", choices=["text", "json", "blocks", "pptx"], default="text",
                   help="pptx: a one-slide PowerPoint deck, written to --output")
    p.add_argument("--output", metavar="FILE", help="where --format pptx writes the deck")
    p.add_argument("--refresh", action="store_true", help="bypass the cache and write the persona again")
    p.set_defaults(func=cmd_persona)

    add_compare_command(sub)

    p = sub.add_parser("parse-apps", help="show how a pasted app list is understood, as JSON")
    p.add_argument("text", nargs="?", metavar="TEXT", help="the pasted list; - or nothing reads stdin")
    p.set_defaults(func=cmd_parse_apps)

    wh = sub.add_parser("warehouse", help="manage the warehouse").add_subparsers(
        dest="warehouse_command", required=True, parser_class=_Parser
    )
    p = wh.add_parser("load", help="validate a dataset directory of CSV files and replace the warehouse content")
    p.add_argument("directory", metavar="DIR")
    p.set_defaults(func=cmd_warehouse_load)
    p = wh.add_parser("init", help="create the warehouse tables")
    p.set_defaults(func=cmd_warehouse_init)
    p = wh.add_parser("check", help="check the warehouse answers; dry-run cost estimates on BigQuery")
    p.set_defaults(func=cmd_warehouse_check)
    from bot.cli_cache import add_cache_commands

    add_cache_commands(sub)
    from bot.cli_dev import add_dev_command

    add_dev_command(sub)
    from bot.cli_jobs import add_jobs_commands

    add_jobs_commands(sub)

    from bot.cli_followup import add_followup_command

    add_followup_command(sub)

    p = sub.add_parser("serve", help="run the Slack app in HTTP mode (production)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (use more only with REDIS_URL)")
    p.add_argument("--threads", type=int, default=16, help="request threads per worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="run the Slack app in Socket Mode (development)")
    p.set_defaults(func=cmd_run)
    return parser


def _configure_logging(settings: Settings) -> None:
    """The same PERSONA_LOG_FORMAT and PERSONA_LOG_LEVEL as serve; unset, a terminal gets warnings as text."""
    from bot.logging_setup import configure_logging

    chosen = settings.model_fields_set
    configure_logging(
        settings.log_format if "log_format" in chosen else "text",
        settings.log_level if "log_level" in chosen else "WARNING",
    )


def _discard_stdout() -> None:
    # Python flushes stdout again at exit and would report the broken pipe there; point it at nothing instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    # A terminal that is not UTF-8 must not turn a Chinese persona into a crash.
    for stream in (sys.stdout, sys.stderr):
        reconfigure: Callable[..., None] | None = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        _configure_logging(settings)
        code = int(args.func(args, settings))
        # Flushed here, not at exit, so that a reader that went away is noticed where it can be handled.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # `persona-bot segments | head`: the reader has what it wanted; that is a success, and nothing to say.
        _discard_stdout()
        return 0
    except PersonaError as exc:
        print(f"persona-bot: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:
        # Only settings are validated this late; name the variable, never echo its (possibly secret) value.
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        print(f"persona-bot: invalid setting {name}: {first.get('msg', 'invalid value')}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"persona-bot: unexpected error ({type(exc).__name__}: {exc}); rerun with --debug for details",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
