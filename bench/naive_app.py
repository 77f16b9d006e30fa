"""Two designs the app deliberately avoids, built by the real app factory and served the same way, for comparison.

* `ack-after-generate`: `/persona` does all the work (warehouse, demographics, LLM) and only then acks, with the
  card in the ack, as the first proof of concept did. Slack waits at most 3 s for an ack.
* `no-cache`: the real app and listeners, but every request calls the LLM: no persona cache, no single-flight.

Each is `bot.slack.app.create_app` with one part swapped (the `/persona` listener, or the write-once gateway), served by
`bot.slack.http_server.serve` with the same uvicorn options, so the design is the only difference and everything else
(guard middleware, executors, metrics) follows the real app as it changes. Bench-only; never shipped.

    python -m bench.naive_app --design ack-after-generate --port 3001
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

import bot.service
from bot.models import PersonaResult
from bot.service import PreparedPersona
from bot.slack.blocks import views
from bot.slack.flows import SlackFlows
from bot.write_once import WriteOnce
from handlers.payloads import team_id

DESIGNS = ("ack-after-generate", "no-cache")


class CollectingSurface:
    """Keeps what would have been shown instead of posting it: the last payload is what goes into the ack."""

    ephemeral = True

    def __init__(self) -> None:
        self.last: dict[str, Any] | None = None

    def show(self, payload: dict[str, Any]) -> None:
        self.last = payload

    def add(self, payload: dict[str, Any]) -> None:
        self.last = payload


def register_ack_after_generate(app: App, flows: SlackFlows) -> None:
    """`/persona` answered in its ack, after the whole persona is written."""

    def persona(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body.get("user_id", "")
        request = flows.classify(body.get("text", ""))
        if request is None:
            ack(response_type="ephemeral", **views.help_message(flows.quick_lang(user_id)))
            return
        request.lang, request.team_id = flows.lang_for(client, user_id), team_id(body)
        surface = CollectingSurface()
        flows.deliver(surface, request, user_id)
        ack(response_type="ephemeral", **(surface.last or {"text": "No answer."}))

    app.command("/persona")(persona)


class PassThroughWrites(WriteOnce):
    """Stands where `bot.write_once.WriteOnce` does, without its cache, single-flight or rate limits."""

    def generate(self, prepared: PreparedPersona, *, refresh: bool = False, user_id: str | None = None,
                 team_id: str | None = None) -> PersonaResult:
        return self._write(prepared)


def install(design: str) -> None:
    """Swaps the one part of the real app that makes `design`; create_app builds everything else as usual."""
    if design == "no-cache":
        bot.service.WriteOnce = PassThroughWrites  # type: ignore[misc]
    elif design == "ack-after-generate":
        import handlers.commands

        # handlers.register looks each module's register up when it runs, so this replaces only /persona.
        handlers.commands.register = register_ack_after_generate
    else:
        raise ValueError(f"unknown design {design!r}; one of {', '.join(DESIGNS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A naive design of the Slack app, for the bench.")
    parser.add_argument("--design", choices=DESIGNS, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    install(args.design)
    from bot.cli import main as cli_main

    # The real command line, so logging, settings and the server start exactly as `persona-bot serve` does.
    return cli_main(["serve", "--host", args.host, "--port", str(args.port), "--workers", str(args.workers),
                     "--threads", str(args.threads)])


if __name__ == "__main__":
    sys.exit(main())
