"""The sandbox's workspace: one person, one channel, and the app installed as manifest.yml configures it.

Slack only delivers what an installation subscribed to; the sandbox follows the same rules, so a message in
#sales without a mention reaches the app no more than it would in Slack.
"""

from __future__ import annotations

from typing import NamedTuple

CHANNEL_ID = "C0SALES"
CHANNEL_NAME = "sales"
USER_ID = "U0YOU"
USER_NAME = "you"
USER_REAL_NAME = "You"
# The app's DM with the user, as the stand-in names it (D + the user id without its U).
DM_ID = "D" + USER_ID[1:]
BOT_NAME = "persona-bot"


class Shortcut(NamedTuple):
    callback_id: str
    name: str


COMMANDS: tuple[str, ...] = ("/persona",)
MESSAGE_SHORTCUTS: tuple[Shortcut, ...] = (Shortcut("persona_from_message", "Persona from message"),)
BOT_EVENTS: frozenset[str] = frozenset({"app_home_opened", "app_mention", "message.im"})
