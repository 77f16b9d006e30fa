"""`persona-bot dev`: a Slack-like page on 127.0.0.1 driving the real bot through the local Slack stand-in."""

from bot.devtools.sandbox.sandbox import PortInUse, Sandbox

__all__ = ["PortInUse", "Sandbox"]
