"""What a person typed, in the form Slack hands it to apps."""

from __future__ import annotations

import re

from bot.devtools.sandbox.workspace import BOT_NAME

# Slack caps a message at 40,000 characters but truncates anything past 4,000 in a slash command;
# the sandbox refuses both instead of cutting silently.
MAX_MESSAGE_CHARS = 40_000
MAX_COMMAND_CHARS = 4_000

_MENTION = re.compile(rf"(?<![\w@])@{re.escape(BOT_NAME)}(?![\w-])", re.IGNORECASE)


def escape(text: str) -> str:
    """Slack escapes these three characters in every text it sends to an app, commands included."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_text(typed: str, bot_user_id: str) -> str:
    """A typed message as it arrives in events: escaped, with `@persona-bot` turned into a mention token."""
    return _MENTION.sub(f"<@{bot_user_id}>", escape(typed))


def mentions(text: str, bot_user_id: str) -> bool:
    return f"<@{bot_user_id}>" in text


def split_command(typed: str) -> tuple[str, str] | None:
    """("/persona", "fitness") for "/persona fitness"; None when the text is not a command."""
    stripped = typed.strip()
    if not stripped.startswith("/"):
        return None
    command, _, rest = stripped.partition(" ")
    # A newline right after the command name separates it from the text just like a space does.
    if "\n" in command:
        command, _, more = command.partition("\n")
        rest = more + (" " + rest if rest else "")
    return command.lower(), rest.strip()
