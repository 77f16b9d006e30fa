"""Reading the few fields the listeners need out of Slack's payloads."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack


def where_clicked(body: dict[str, Any]) -> dict[str, Any]:
    """Where the clicked message lives, so answers go to its thread or replace it."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ephemeral = bool(container.get("is_ephemeral")) or not message
    return {
        "channel": channel,
        "ts": None if ephemeral else container.get("message_ts") or message.get("ts"),
        "thread_ts": message.get("thread_ts"),
        "ephemeral": ephemeral,
        "response_url": body.get("response_url"),
        # The clicker's workspace: a stream into a channel thread is addressed to them.
        "team_id": (body.get("user") or {}).get("team_id") or team_id(body),
    }


def action_value(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    if action.get("selected_option"):
        return str(action["selected_option"].get("value", ""))
    return str(action.get("value", ""))


def user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def state_value(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    element = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    if element.get("selected_option"):
        return str(element["selected_option"].get("value"))
    value = element.get("value")
    return str(value) if value else None


def team_id(body: dict[str, Any]) -> str | None:
    """The workspace of a command (`team_id`), an interaction (`team.id`) or an event envelope (`team_id`)."""
    value = body.get("team_id") or (body.get("team") or {}).get("id")
    return str(value) if value else None


def ack_only(ack: Ack) -> None:
    """The ack of a listener whose work all happens lazily, after Slack has its answer."""
    ack()
