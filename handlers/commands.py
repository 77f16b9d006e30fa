"""`/persona`: acked at once (with help when asked); working message and card follow through the response_url."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.payloads import team_id

if TYPE_CHECKING:  # listeners get the flows injected; only type checkers need to see the class
    from bot.slack.flows import SlackFlows


def register(app: App, flows: SlackFlows) -> None:
    def ack_persona(ack: Ack, body: dict[str, Any]) -> None:
        help_payload = flows.command_ack(body.get("text", ""), body.get("user_id", ""))
        if help_payload is None:
            ack()
        else:
            ack(response_type="ephemeral", **help_payload)

    def persona(body: dict[str, Any], client: WebClient) -> None:
        if flows.is_compare(body.get("text", "")):
            flows.compare_command(client, user_id=body.get("user_id", ""), text=body.get("text", ""),
                                  response_url=body["response_url"], team_id=team_id(body))
            return
        flows.command(client, user_id=body.get("user_id", ""), text=body.get("text", ""),
                      response_url=body["response_url"], team_id=team_id(body))

    app.command("/persona")(ack=ack_persona, lazy=[persona])
