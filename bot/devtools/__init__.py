"""Local development and test tooling: a Slack stand-in and a sender of signed Slack requests."""

from bot.devtools.slack_payloads import SlackPayloads
from bot.devtools.slack_requests import SentResponse, SlackRequestSender
from bot.devtools.slack_standin import Call, Channel, SlackStandIn
from bot.devtools.socket_mode_server import close_socket_mode_client

__all__ = [
    "Call",
    "Channel",
    "SentResponse",
    "SlackPayloads",
    "SlackRequestSender",
    "SlackStandIn",
    "close_socket_mode_client",
]
