"""Logging for the long-running app: one JSON object per line, each naming the request it belongs to.

Every record gets the current request's ids (request_id, team_id, user_id, channel_id) and the `extra=` fields
the code passed. Secrets never reach the output: anything shaped like a Slack or OpenAI token is masked, in the
message, in extra fields and in tracebacks alike.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from bot.request_context import current

# Slack bot/user/app/config tokens and OpenAI-style API keys. A redaction that misses a token format is a leak,
# one that masks a harmless look-alike costs nothing.
_SECRET = re.compile(r"\b(?:xox[abposr]|xapp|xoxe(?:\.xox[bp])?)-[A-Za-z0-9-]{6,}|\bsk-[A-Za-z0-9_-]{8,}")
_MASK = "[redacted]"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    return _SECRET.sub(_MASK, text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return redact(str(value))


class RequestContextFilter(logging.Filter):
    """Stamps the current request's ids onto each record, at the moment it is written, on the thread it is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current()
        if info is not None:
            for key, value in info.fields().items():
                if not hasattr(record, key):
                    setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _jsonable(value)
        if record.exc_info:
            exc = record.exc_info[1]
            entry["error"] = redact(f"{type(exc).__name__}: {exc}") if exc else None
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


# Line breaks and other controls inside a text line would let a value start a line of its own, e.g. a forged
# "ERROR bot.slack.guard: …" after a newline in something a client sent.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)


class TextFormatter(logging.Formatter):
    """The human-readable form: the same fields as key=value after the message, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={_one_line(str(_jsonable(value)))}" for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")
        )
        line = f"{record.levelname} {record.name}: {_one_line(redact(record.getMessage()))}"
        if extras:
            line += " " + extras
        if record.exc_info:
            # Every traceback line is marked as a continuation, so none of it can pass for a record of its own.
            trace = redact(self.formatException(record.exc_info))
            line += "".join(f"\n  | {_one_line(part)}" for part in trace.splitlines())
        return line


# Our own loggers; everything else is a library, which speaks only at WARNING and above.
_OWN = ("bot", "handlers", "bench", "tests", "__main__")


def _is_own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in _OWN)


class LibraryLevelFilter(logging.Filter):
    """Drops library records below the library level, whatever level the library gave its own loggers.

    Bolt sets each of its loggers (`slack_bolt.RequestVerification`, `slack_bolt.App`, the app-name loggers…)
    to the root's level when an app is built, which overrode a level set on `slack_bolt` beforehand; at INFO its
    request verification logs every rejected body whole. Judging at the handler cannot be undone that way.
    """

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level or _is_own(record.name)


def library_level(level: str) -> int:
    return max(logging.WARNING, logging.getLevelName(level))


def quiet_libraries(level: str) -> None:
    """Puts every library logger that exists now back at the library level (Bolt resets them as it builds)."""
    threshold = library_level(level)
    for name in list(logging.root.manager.loggerDict):
        logger = logging.root.manager.loggerDict[name]
        if isinstance(logger, logging.Logger) and not _is_own(name) and logger.level < threshold:
            logger.setLevel(threshold)


def configure_logging(log_format: str = "json", level: str = "INFO") -> None:
    """Route every logger (ours, Bolt's, the SDKs') through one stderr handler in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(LibraryLevelFilter(library_level(level)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that narrate every HTTP call at INFO would drown the per-request lines.
    for noisy in ("urllib3", "httpx", "httpx2", "httpcore", "openai", "slack_sdk", "slack_bolt", "uvicorn"):
        logging.getLogger(noisy).setLevel(library_level(level))
    quiet_libraries(level)
