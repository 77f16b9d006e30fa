"""A local stand-in for Slack (see standin.py): the server class and what tests read from it."""

from bot.devtools.slack_standin.block_kit import block_problems
from bot.devtools.slack_standin.conversations import Channel
from bot.devtools.slack_standin.protocol import DEFAULT_SCOPES, Call
from bot.devtools.slack_standin.standin import SlackStandIn

__all__ = ["DEFAULT_SCOPES", "Call", "Channel", "SlackStandIn", "block_problems"]
