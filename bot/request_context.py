"""Who and what the current Slack request is about, for every log line written while it is handled.

A request is acked on a server thread and finished by a lazy listener on a pool thread. The context travels
with it: `ContextExecutor` runs each task in a copy of the submitting thread's context, so a log line written
deep in the warehouse or the LLM client still names the request, the workspace and the user.
"""

from __future__ import annotations

import contextvars
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    kind: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None

    def fields(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("persona_request", default=None)


def new_request_id() -> str:
    return secrets.token_hex(8)


def begin(request_id: str | None = None, **fields: str | None) -> RequestInfo:
    info = RequestInfo(request_id=request_id or new_request_id(), **fields)
    _current.set(info)
    return info


def current() -> RequestInfo | None:
    return _current.get()


def run_isolated(func: Callable[..., T], *args: Any) -> T:
    """Run `func` in a fresh copy of the context, so one request's ids never leak into the next on this thread."""
    return contextvars.copy_context().run(func, *args)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks see the context of the code that submitted them (the request being handled)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        ctx = contextvars.copy_context()
        return super().submit(ctx.run, fn, *args, **kwargs)
