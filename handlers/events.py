"""Mentions, direct messages and App Home: acked at once, answered by lazy listeners."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.payloads import ack_only, team_id

if TYPE_CHECKING:  # listeners get the flows injected; only type checkers need to see the class
    from bot.slack.flows import SlackFlows

# "<@U123> fitness" → "fitness": the mention of the app itself is not part of the request.
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def register(app: App, flows: SlackFlows) -> None:

    def on_mention(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        flows.mention(client, user_id=str(event.get("user", "")), text=MENTION.sub(" ", event.get("text", "")),
                      channel=str(event["channel"]), thread_ts=event.get("thread_ts"), ts=event.get("ts"),
                      team_id=team_id(body))

    def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        # Only plain messages from people in a DM with the app (the agent conversation); edits, joins and bot
        # posts are not requests.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        flows.agent_message(client, user_id=str(event.get("user", "")),
                            text=MENTION.sub(" ", event.get("text", "")), channel=str(event["channel"]),
                            ts=str(event.get("ts", "")), thread_ts=event.get("thread_ts"), team_id=team_id(body))

    def on_home(event: dict[str, Any], client: WebClient) -> None:
        tab = event.get("tab", "home")
        if tab == "home":
            flows.publish_home(client, user_id=str(event.get("user", "")))
        elif tab == "messages":
            # The agent conversation opened: offer the suggested prompts.
            flows.messages_tab_opened(client, user_id=str(event.get("user", "")), channel=event.get("channel"))

    # Acked at once, answered lazily: in HTTP mode the response waits for listeners, and Slack retries an event
    # that is not acked within 3 s.
    app.event("app_mention")(ack=ack_only, lazy=[on_mention])
    app.event("message")(ack=ack_only, lazy=[on_message])
    app.event("app_home_opened")(ack=ack_only, lazy=[on_home])
