"""What the stand-in speaks: Slack's scopes, errors and argument conventions, and the record of each call."""

from __future__ import annotations

import email.parser
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

DEFAULT_SCOPES = frozenset(
    {
        "app_mentions:read",
        "assistant:write",
        "channels:history",
        "channels:join",
        "channels:read",
        "chat:write",
        "chat:write.public",
        "commands",
        "files:write",
        "groups:history",
        "groups:read",
        "im:history",
        "im:read",
        "im:write",
        "reactions:write",
        "users:read",
    }
)

REQUIRED_SCOPE = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "users.info": "users:read",
    "conversations.join": "channels:join",
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "reactions.add": "reactions:write",
    # setStatus takes chat:write (or, for now, assistant:write); the other thread methods assistant:write only.
    "assistant.threads.setStatus": "chat:write",
    "assistant.threads.setTitle": "assistant:write",
    "assistant.threads.setSuggestedPrompts": "assistant:write",
    "chat.startStream": "chat:write",
    "chat.appendStream": "chat:write",
    "chat.stopStream": "chat:write",
}

JSON_FIELDS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
    "chunks": "invalid_chunks",
    "prompts": "invalid_arguments",
    "loading_messages": "invalid_arguments",
}


class ApiError(Exception):
    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def invalid(error: str, messages: list[str]) -> ApiError:
    return ApiError(error, extra={"response_metadata": {"messages": messages}})


@dataclass(frozen=True, eq=False)
class Call:
    """One request the stand-in received. `token` is kept here and removed from `headers`."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    time: float
    status: int
    response: dict[str, Any]
    path: str

    @property
    def token_sent(self) -> bool:
        return self.token is not None

    @property
    def token_type(self) -> str | None:
        return token_type(self.token)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class Failure:
    error: str
    status: int
    retry_after: int
    remaining: int


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers or {}))


def token_type(token: str | None) -> str | None:
    if not token:
        return None
    for prefix, kind in (("xoxb-", "bot"), ("xoxp-", "user"), ("xapp-", "app")):
        if token.startswith(prefix):
            return kind
    return None


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, int | str) and str(value).lower() in ("1", "true"))


def _form(text: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def merge_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Query string, form body and JSON body merged, as Slack accepts arguments from any of them."""
    params: dict[str, Any] = _form(query)
    kind = content_type.split(";")[0].strip().lower()
    if body:
        if kind == "application/json":
            try:
                data = json.loads(body)
            except ValueError as err:
                raise ApiError("invalid_json") from err
            if not isinstance(data, dict):
                raise ApiError("invalid_json")
            params.update(data)
        elif kind in ("application/x-www-form-urlencoded", ""):
            params.update(_form(body.decode("utf-8", errors="replace")))
        else:
            raise ApiError("invalid_form_data")
    for key, error in JSON_FIELDS.items():
        if isinstance(params.get(key), str) and params[key]:
            try:
                params[key] = json.loads(params[key])
            except ValueError as err:
                raise ApiError(error) from err
    return params


def multipart_file(content_type: str, body: bytes) -> tuple[bytes, str | None]:
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    for part in message.walk():
        if part.get_filename() is not None or part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True) or b"", part.get_filename()
    return body, None
