"""The payloads Slack sends an app: slash commands, interactivity, options requests and events.

`SlackPayloads` builds them as dicts, the same for HTTP requests (`SlackRequestSender` encodes and signs them) and
for Socket Mode envelopes (the stand-in pushes them).
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

DEFAULT_TEAM_ID = "T0001"
DEFAULT_TEAM_DOMAIN = "persona-sandbox"
DEFAULT_APP_ID = "A0001"
DEFAULT_BOT_USER_ID = "U0BOT"
DEFAULT_BOT_ID = "B0BOT"
# Slack still sends its deprecated verification token in every payload; apps should ignore it.
VERIFICATION_TOKEN = "standin-verification-token"
# Deliberately unreachable: without a factory, a handler's `respond()` fails fast instead of reaching Slack.
_UNREACHABLE_RESPONSE_URL = "http://127.0.0.1:9/response_url/"


_SELECTED_OPTION_TYPES = ("static_select", "external_select", "overflow", "radio_buttons")
_MULTI_TYPES = ("checkboxes", "multi_static_select", "multi_external_select")
_SINGLE_VALUE_KEYS = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}


class ResponseUrlFactory(Protocol):
    """Issues a response_url bound to a channel and user (`SlackStandIn.response_url` is one)."""

    def __call__(
        self,
        name: str | None = None,
        *,
        channel_id: str,
        user_id: str,
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str: ...



class _Clock:
    """Unique, increasing Slack-style timestamps ("1700000000.000100") for messages the sender invents."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def ts(self) -> str:
        with self._lock:
            self._last = max(int(time.time() * 1_000_000), self._last + 1)
            return f"{self._last // 1_000_000}.{self._last % 1_000_000:06d}"


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's shape."""
    return f"{int(time.time() * 1000)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def _public(message: Mapping[str, Any]) -> dict[str, Any]:
    # The stand-in's model adds bookkeeping keys that Slack does not send inside payloads.
    return {k: copy.deepcopy(v) for k, v in message.items() if v is not None and k not in ("channel", "ephemeral_user")}


def _elements(block: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield block[key]
    for element in block.get("elements") or []:
        if isinstance(element, dict):
            yield element


def find_element(blocks: Any, action_id: str) -> tuple[str, dict[str, Any]] | None:
    """(block_id, element) of the interactive element with `action_id`, if the blocks contain one."""
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        for element in _elements(block):
            if element.get("action_id") == action_id:
                return str(block.get("block_id") or ""), element
    return None


def _option_for(element: Mapping[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


def _action(action_id: str, block_id: str, action_type: str, value: Any, element: Mapping[str, Any]) -> dict:
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        if "text" in element:
            action["text"] = copy.deepcopy(element["text"])
        if value is not None:
            action["value"] = value
        if "style" in element:
            action["style"] = element["style"]
    elif action_type == "feedback_buttons":
        # Slack sends the value and text of the one button that was pressed.
        action["value"] = value
        for key in ("positive_button", "negative_button"):
            button = element.get(key) or {}
            if button.get("value") == value and "text" in button:
                action["text"] = copy.deepcopy(button["text"])
    elif action_type in _SELECTED_OPTION_TYPES:
        action["selected_option"] = _option_for(element, str(value))
    elif action_type in _MULTI_TYPES:
        values = value if isinstance(value, list | tuple) else [value]
        action["selected_options"] = [_option_for(element, str(v)) for v in values]
    elif action_type in _SINGLE_VALUE_KEYS:
        action[_SINGLE_VALUE_KEYS[action_type]] = value
    else:
        action["value"] = value
    return action


class SlackPayloads:
    """Payload dicts exactly as Slack delivers them (over HTTP after encoding, or inside Socket Mode envelopes)."""

    def __init__(
        self,
        team_id: str = DEFAULT_TEAM_ID,
        *,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        api_app_id: str = DEFAULT_APP_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        response_url_factory: ResponseUrlFactory | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.response_url_factory = response_url_factory
        self._clock = _Clock()
        self._names = itertools.count(1)

    def ts(self) -> str:
        return self._clock.ts()

    def response_url(
        self, *, channel_id: str, user_id: str, message_ts: str | None = None, thread_ts: str | None = None
    ) -> str:
        if self.response_url_factory is not None:
            return self.response_url_factory(
                channel_id=channel_id, user_id=user_id, message_ts=message_ts, thread_ts=thread_ts
            )
        return f"{_UNREACHABLE_RESPONSE_URL}{next(self._names)}"

    def user(self, user_id: str) -> dict[str, str]:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def team(self) -> dict[str, str]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _interaction(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "api_app_id": self.api_app_id,
            "team": self.team(),
            "user": self.user(user_id),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # -- slash commands ------------------------------------------------------------------------------------

    def slash_command(
        self,
        text: str,
        user_id: str = "U1",
        channel_id: str = "C1",
        command: str = "/persona",
        response_url: str | None = None,
        trigger_id: str | None = None,
        *,
        channel_name: str | None = None,
        user_name: str | None = None,
    ) -> dict[str, str]:
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else channel_id.lower()),
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url or self.response_url(channel_id=channel_id, user_id=user_id),
            "trigger_id": trigger_id or new_trigger_id(),
        }

    # -- interactivity -------------------------------------------------------------------------------------

    def block_actions(
        self,
        action_id: str,
        value: Any = None,
        user_id: str = "U1",
        channel_id: str = "C1",
        message: Mapping[str, Any] | None = None,
        *,
        ephemeral: bool | None = None,
        view: Mapping[str, Any] | None = None,
        block_id: str | None = None,
        action_type: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        state_values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A click (or selection) on element `action_id` in `message` (a message dict) or `view` (a view object).

        The element is looked up in the blocks to fill block_id, type and text as Slack would; clicking an
        action_id that the blocks do not contain is a test mistake and raises LookupError.
        """
        blocks = (view or {}).get("blocks") if view is not None else (message or {}).get("blocks")
        found = find_element(blocks, action_id)
        if found is None and block_id is None and blocks:
            raise LookupError(f"no element with action_id {action_id!r} in the given blocks")
        element: Mapping[str, Any] = found[1] if found else {}
        resolved_block_id = block_id or (found[0] if found else "") or secrets.token_hex(3)
        kind = action_type or str(element.get("type") or "button")
        payload = self._interaction("block_actions", user_id)
        payload["trigger_id"] = trigger_id or new_trigger_id()
        payload["actions"] = [_action(action_id, resolved_block_id, kind, value, element)]
        if view is not None:
            view_obj = copy.deepcopy(dict(view))
            if state_values is not None:
                view_obj.setdefault("state", {})["values"] = copy.deepcopy(dict(state_values))
            payload["container"] = {"type": "view", "view_id": view_obj.get("id", "")}
            payload["view"] = view_obj
            return payload
        msg = dict(message or {})
        is_ephemeral = bool(msg.get("ephemeral_user")) if ephemeral is None else ephemeral
        message_ts = str(msg.get("ts") or self.ts())
        thread_ts = msg.get("thread_ts")
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        payload["container"] = container
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
        if not is_ephemeral:
            # Slack leaves the message out for ephemeral sources: the app never stored them.
            payload["message"] = _public(msg) if msg else {"type": "message", "ts": message_ts, "text": ""}
        payload["state"] = {"values": copy.deepcopy(dict(state_values or {}))}
        payload["response_url"] = response_url or self.response_url(
            channel_id=channel_id, user_id=user_id, message_ts=message_ts, thread_ts=thread_ts
        )
        return payload

    def view_submission(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        user_id: str = "U1",
        *,
        trigger_id: str | None = None,
        response_urls: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Submission of `view` (a view object as views.open returned it), with `values` as its state."""
        view_obj = copy.deepcopy(dict(view))
        if values is not None:
            view_obj.setdefault("state", {})["values"] = copy.deepcopy(dict(values))
        view_obj.setdefault("state", {"values": {}})
        payload = self._interaction("view_submission", user_id)
        payload["trigger_id"] = trigger_id or new_trigger_id()
        payload["view"] = view_obj
        payload["response_urls"] = response_urls or []
        return payload

    def view_closed(self, view: Mapping[str, Any], user_id: str = "U1", *, is_cleared: bool = False) -> dict:
        """The user closed `view`; Slack sends this only for views opened with `notify_on_close`."""
        payload = self._interaction("view_closed", user_id)
        payload["view"] = copy.deepcopy(dict(view))
        payload["is_cleared"] = is_cleared
        return payload

    def block_suggestion(
        self,
        action_id: str,
        value: str,
        view: Mapping[str, Any] | None = None,
        user_id: str = "U1",
        *,
        block_id: str | None = None,
        channel_id: str = "C1",
        message: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An external_select asking for options while the user types `value`."""
        blocks = (view or {}).get("blocks") if view is not None else (message or {}).get("blocks")
        found = find_element(blocks, action_id)
        if found is None and block_id is None and blocks:
            raise LookupError(f"no element with action_id {action_id!r} in the given blocks")
        payload = self._interaction("block_suggestion", user_id)
        payload["action_id"] = action_id
        payload["block_id"] = block_id or (found[0] if found else "") or secrets.token_hex(3)
        payload["value"] = value
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "")}
            payload["view"] = copy.deepcopy(dict(view))
        else:
            msg = dict(message or {})
            payload["container"] = {
                "type": "message",
                "message_ts": str(msg.get("ts") or self.ts()),
                "channel_id": channel_id,
                "is_ephemeral": bool(msg.get("ephemeral_user")),
            }
            payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
            if msg and not msg.get("ephemeral_user"):
                payload["message"] = _public(msg)
        return payload

    def message_shortcut(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        channel_id: str = "C1",
        user_id: str = "U1",
        *,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        payload = self._interaction("message_action", user_id)
        message_ts = str(message.get("ts") or self.ts())
        payload.update(
            {
                "callback_id": callback_id,
                "trigger_id": trigger_id or new_trigger_id(),
                "action_ts": f"{time.time():.6f}",
                "channel": {"id": channel_id, "name": channel_id.lower()},
                "message_ts": message_ts,
                "message": _public(message),
                "response_url": response_url
                or self.response_url(channel_id=channel_id, user_id=user_id, message_ts=message_ts),
            }
        )
        return payload

    # -- Events API ----------------------------------------------------------------------------------------

    def event_callback(
        self, event: Mapping[str, Any], *, event_id: str | None = None, event_time: int | None = None
    ) -> dict[str, Any]:
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": copy.deepcopy(dict(event)),
            "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": event_time if event_time is not None else int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }

    def app_mention_event(
        self,
        text: str,
        channel: str = "C1",
        user: str = "U1",
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """An app_mention; the bot mention is prepended when `text` lacks it, as Slack's text always has it."""
        mention = f"<@{self.bot_user_id}>"
        ts = ts or self.ts()
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": user,
            "text": text if mention in text else f"{mention} {text}",
            "ts": ts,
            "client_msg_id": str(uuid.uuid4()),
            "team": self.team_id,
            "channel": channel,
            "event_ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return event

    def dm_message_event(self, text: str, channel: str = "D1", user: str = "U1", ts: str | None = None,
                         thread_ts: str | None = None) -> dict:
        ts = ts or self.ts()
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
            "client_msg_id": str(uuid.uuid4()),
            "team": self.team_id,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return event

    def app_home_opened_event(self, user: str = "U1", channel: str | None = None, tab: str = "home") -> dict:
        return {
            "type": "app_home_opened",
            "user": user,
            "channel": channel or "D" + user[1:],
            "tab": tab,
            "event_ts": self.ts(),
        }
