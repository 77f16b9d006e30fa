"""Slack listeners, grouped by kind. Each module registers itself; none holds business logic."""

from __future__ import annotations

from slack_bolt import App

from bot.slack_flows import SlackFlows
from handlers import actions, commands, events, shortcuts, views


def register(app: App, flows: SlackFlows) -> None:
    for module in (commands, actions, shortcuts, views, events):
        module.register(app, flows)
