"""What the Slack app does for each user action, independent of how Bolt delivers the request.

Listeners in `handlers/` only pick ids and text out of Slack's payloads and call one method of `SlackFlows`, which
puts the feature flows together.
"""

from __future__ import annotations

from bot.slack.flows.agent import AgentFlows
from bot.slack.flows.card_actions import CardActionFlows
from bot.slack.flows.compare import CompareFlows
from bot.slack.flows.followups import FollowUpFlows
from bot.slack.flows.home import HomeFlows
from bot.slack.flows.modals import ModalFlows


class SlackFlows(AgentFlows, ModalFlows, FollowUpFlows, CardActionFlows, HomeFlows, CompareFlows):
    """Every flow the listeners call; one object so `register(app, flows)` stays one argument."""


__all__ = ["SlackFlows"]
