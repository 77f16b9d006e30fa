"""What a user sees when a persona fails, and what the operator gets in the log instead.

Exception texts are for operators: a DuckDB binder error quotes the SQL, a locked file names its absolute path
and the locking process, a Redis error names the host. Users get a short message per kind of failure (what to
try, whom to tell) with the request id as a reference; the log line carries the same id and the details.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from bot.errors import LLMError, WarehouseError
from bot.i18n import t
from bot.request_context import current

# Failure kind → message key. The kind is also the log field `failure`, a small fixed vocabulary.
_KEYS = {
    "warehouse": "msg.warehouse_unavailable",
    "store": "msg.store_unavailable",
    "writer": "msg.writer_unavailable",
    "internal": "msg.unexpected_ref",
}


def _kind(exc: BaseException) -> str:
    if isinstance(exc, WarehouseError):
        return "warehouse"
    if isinstance(exc, RedisError):
        return "store"
    if isinstance(exc, LLMError):
        return "writer"
    return "internal"


def classify(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """(message key for the user, fields for the operator's log line)."""
    kind = _kind(exc)
    return _KEYS[kind], {"failure": kind, "error_type": type(exc).__name__, "error": str(exc)}


def user_message(key: str, lang: str) -> str:
    """The message for `key`, quoting the request id the log line carries so the two can be matched."""
    info = current()
    return t(key, lang, ref=(info.request_id if info and info.request_id else "-"))
