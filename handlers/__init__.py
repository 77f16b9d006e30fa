"""Slack listeners, grouped by kind. Each module registers itself; none holds business logic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from handlers import actions, commands, events, shortcuts, views

if TYPE_CHECKING:  # listeners get the flows injected; only type checkers need to see the class
    from bot.slack.flows import SlackFlows


def register(app: App, flows: SlackFlows) -> None:
    for module in (commands, actions, shortcuts, views, events):
        module.register(app, flows)
