"""Who may use a card's buttons: a persona id in a button value is not a bearer token.

Slack sends a click only to the app that posted the message, and only from someone who can see it. So a click
on a public card (a message with a `ts` in a channel) comes from someone who can read that channel, and may act
on it if they are in the requester's workspace. An ephemeral card is seen by its requester alone, so a click
that claims one from anyone else is refused, as is any click whose persona belongs to another workspace.
"""

from __future__ import annotations

from typing import Any

from bot.store import StoredPersona


def may_use(stored: StoredPersona, *, user_id: str, team_id: str | None, where: dict[str, Any],
            requester_only: bool = False) -> bool:
    asked_in = stored.request.team_id
    if asked_in and team_id and asked_in != team_id:
        return False
    if requester_only or where.get("ephemeral") or not where.get("ts"):
        return stored.user_id is None or stored.user_id == user_id
    return True
