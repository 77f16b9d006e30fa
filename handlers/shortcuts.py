"""Message shortcut "Persona from this message": the card goes into that message's thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.payloads import ack_only, team_id, user_id

if TYPE_CHECKING:  # listeners get the flows injected; only type checkers need to see the class
    from bot.slack.flows import SlackFlows


def register(app: App, flows: SlackFlows) -> None:

    def persona_from_message(body: dict[str, Any], client: WebClient) -> None:
        message = body.get("message") or {}
        flows.shortcut(client, user_id=user_id(body), text=str(message.get("text", "")),
                       channel=str((body.get("channel") or {}).get("id", "")),
                       message_ts=str(message.get("thread_ts") or message.get("ts", "")),
                       response_url=body.get("response_url"), team_id=team_id(body))

    app.shortcut("persona_from_message")(ack=ack_only, lazy=[persona_from_message])
