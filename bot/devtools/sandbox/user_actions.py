"""What Slack does when the person on the sandbox page acts: the exact signed request the app would get.

Every payload comes from `SlackPayloads` (the builders the end-to-end tests use) and is sent, signed, by
`SlackRequestSender`; messages and views are read from the stand-in's conversation model, never from the page,
so a click carries the message and element as Slack stored them. Acks are handled as Slack handles them: a
slash command's message becomes an ephemeral reply, a view submission's `errors` stay in the modal, a slow or
failing app gets Slack's error notice.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.devtools.sandbox import workspace
from bot.devtools.sandbox.input_state import InvalidInput, state_values
from bot.devtools.sandbox.typed_text import (
    MAX_COMMAND_CHARS,
    MAX_MESSAGE_CHARS,
    escape,
    mentions,
    message_text,
    split_command,
)
from bot.devtools.slack_payloads import find_element
from bot.devtools.slack_requests import SentResponse, SlackRequestSender
from bot.devtools.slack_standin import SlackStandIn

# Slack gives an app three seconds to acknowledge, then tells the user it failed.
ACK_DEADLINE = 3.0


class SandboxInputError(ValueError):
    """Something the page sent that Slack would not let a person do; the message is shown to them."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Outcome:
    """What the page shows after an action: a notice from Slack (like its "failed with the error" line) or
    the errors of a modal submission."""

    notice: str | None = None
    errors: dict[str, str] | None = None
    options: list[dict[str, Any]] | None = None
    option_groups: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": True}
        for key in ("notice", "errors", "options", "option_groups"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _ack_json(response: SentResponse) -> dict[str, Any]:
    if not response.body.strip():
        return {}
    try:
        data = json.loads(response.body)
    except ValueError:
        # Slack takes a plain-text ack body of a slash command as the reply's text.
        return {"text": response.body}
    return data if isinstance(data, dict) else {}


class UserActions:
    def __init__(self, standin: SlackStandIn, sender: SlackRequestSender) -> None:
        self.standin = standin
        self.sender = sender
        self.payloads = sender.payloads
        self.user_id = workspace.USER_ID
        self._lock = threading.Lock()
        # Root view ids of modals the person closed or the app's ack closed; the stand-in keeps every view.
        self._closed_roots: set[str] = set()

    # -- typing ----------------------------------------------------------------------------------------------

    def type_text(self, channel: str, text: str, thread_ts: str | None = None) -> Outcome:
        """The composer: a slash command or a message in the channel, the DM or a thread."""
        if not isinstance(text, str) or not text.strip():
            raise SandboxInputError("Type a message or a command first.")
        channel = self._visible_channel(channel)
        command = split_command(text)
        if command is not None:
            if thread_ts:
                raise SandboxInputError("Slash commands are not supported in threads (Slack says the same).")
            return self.command(channel, *command)
        if len(text) > MAX_MESSAGE_CHARS:
            raise SandboxInputError(f"That message is too long: Slack allows {MAX_MESSAGE_CHARS:,} characters.")
        if thread_ts is not None:
            self._message(channel, thread_ts)
        return self.message(channel, text, thread_ts)

    def command(self, channel: str, command: str, text: str) -> Outcome:
        if command not in workspace.COMMANDS:
            return Outcome(notice=f"{command} is not a valid command. In Slack, all messages that start with "
                                  "the \"/\" character are interpreted as commands.")
        if len(text) > MAX_COMMAND_CHARS:
            raise SandboxInputError(f"That command is too long: Slack sends at most {MAX_COMMAND_CHARS:,} characters.")
        body, content_type = self.sender.build_slash_command(
            escape(text),
            user_id=self.user_id,
            channel_id=channel,
            command=command,
            channel_name=self._channel_name(channel),
            user_name=workspace.USER_NAME,
        )
        started = time.monotonic()
        response = self.sender.post(body, content_type)
        failure = self._failure(response, started, command)
        if failure is not None:
            return Outcome(notice=failure)
        reply = _ack_json(response)
        if reply.get("text") or reply.get("blocks"):
            try:
                self.standin.post_command_reply(channel, self.user_id, reply)
            except ValueError as err:
                return Outcome(notice=f"{command} failed with the error \"invalid_blocks\" ({err})")
        return Outcome()

    def message(self, channel: str, typed: str, thread_ts: str | None = None) -> Outcome:
        bot = self.standin.bot_user_id
        text = message_text(typed, bot)
        said = self.standin.post_user_message(channel, self.user_id, text, thread_ts=thread_ts)
        if channel == workspace.DM_ID and "message.im" in workspace.BOT_EVENTS:
            event = self.payloads.dm_message_event(text, channel=channel, user=self.user_id, ts=said["ts"])
            if thread_ts:
                event["thread_ts"] = thread_ts
            return self._event(event)
        if mentions(text, bot) and "app_mention" in workspace.BOT_EVENTS:
            event = self.payloads.app_mention_event(
                text, channel=channel, user=self.user_id, ts=said["ts"], thread_ts=thread_ts
            )
            return self._event(event)
        # A channel message without a mention: the app is not subscribed to it, as in Slack.
        return Outcome()

    def _event(self, event: Mapping[str, Any]) -> Outcome:
        started = time.monotonic()
        response = self.sender.event(event)
        if response.status >= 300:
            return Outcome(notice=f"{workspace.BOT_NAME} did not accept the event (HTTP {response.status}).")
        if time.monotonic() - started > ACK_DEADLINE:
            return Outcome(notice=f"{workspace.BOT_NAME} took more than 3 s; Slack would retry this event.")
        return Outcome()

    # -- clicks ----------------------------------------------------------------------------------------------

    def click(self, channel: str, ts: str, action_id: str, value: Any = None,
              state: Mapping[str, Any] | None = None) -> Outcome:
        """A button or a select in a message (public or ephemeral)."""
        message = self._message(self._visible_channel(channel), ts)
        element = self._element(message.get("blocks"), action_id)
        chosen = self._chosen_value(element, value)
        values = self._state(message.get("blocks"), state)
        body, content_type = self.sender.build_block_action(
            action_id, chosen, user_id=self.user_id, channel_id=channel, message=message, state_values=values
        )
        return self._interaction(body, content_type)

    def view_click(self, view_id: str, action_id: str, value: Any = None,
                   state: Mapping[str, Any] | None = None) -> Outcome:
        """A button or a select in a modal or on App Home."""
        view = self._view(view_id)
        element = self._element(view.get("blocks"), action_id)
        chosen = self._chosen_value(element, value)
        values = self._state(view.get("blocks"), state)
        body, content_type = self.sender.build_block_action(
            action_id, chosen, user_id=self.user_id, view=view, state_values=values
        )
        return self._interaction(body, content_type)

    def shortcut(self, channel: str, ts: str, callback_id: str) -> Outcome:
        if callback_id not in {s.callback_id for s in workspace.MESSAGE_SHORTCUTS}:
            raise SandboxInputError("That shortcut is not installed in this workspace.")
        message = self._message(self._visible_channel(channel), ts)
        if message.get("ephemeral_user"):
            raise SandboxInputError("Shortcuts are not available on messages only you can see.")
        body, content_type = self.sender.build_message_shortcut(
            callback_id, message, channel_id=channel, user_id=self.user_id
        )
        return self._interaction(body, content_type)

    def _interaction(self, body: str, content_type: str) -> Outcome:
        started = time.monotonic()
        response = self.sender.post(body, content_type)
        if response.status >= 300:
            return Outcome(notice=f"{workspace.BOT_NAME} did not respond (HTTP {response.status}).")
        if time.monotonic() - started > ACK_DEADLINE:
            return Outcome(notice=f"{workspace.BOT_NAME} took more than 3 s to respond; Slack shows a warning.")
        return Outcome()

    # -- modals ----------------------------------------------------------------------------------------------

    def suggest(self, view_id: str, action_id: str, query: str) -> Outcome:
        """The options of an external select while the person types."""
        if not isinstance(query, str) or len(query) > 1000:
            raise SandboxInputError("The search text must be at most 1,000 characters.")
        view = self._view(view_id)
        element = self._element(view.get("blocks"), action_id)
        if element.get("type") != "external_select":
            raise SandboxInputError(f"{action_id} is not an external select.")
        body, content_type = self.sender.build_block_suggestion(action_id, query, view=view, user_id=self.user_id)
        response = self.sender.post(body, content_type)
        if response.status != 200:
            return Outcome(options=[], notice=f"{workspace.BOT_NAME} did not load options (HTTP {response.status}).")
        data = _ack_json(response)
        return Outcome(options=list(data.get("options") or []), option_groups=data.get("option_groups"))

    def submit(self, view_id: str, values: Mapping[str, Any] | None) -> Outcome:
        view = self._view(view_id)
        state = self._state(view.get("blocks"), values)
        body, content_type = self.sender.build_view_submission(view, values=state, user_id=self.user_id)
        started = time.monotonic()
        response = self.sender.post(body, content_type)
        if response.status != 200 or time.monotonic() - started > ACK_DEADLINE:
            # The modal stays open with Slack's generic line, as in the Slack client.
            return Outcome(errors={}, notice="We had some trouble connecting. Try again?")
        ack = _ack_json(response)
        action = ack.get("response_action")
        if action == "errors":
            errors = ack.get("errors") if isinstance(ack.get("errors"), dict) else {}
            return Outcome(errors={str(k): str(v) for k, v in errors.items()})
        if action in ("update", "push"):
            return Outcome(notice=f"The app answered with response_action \"{action}\", which the sandbox "
                                  "does not show yet.")
        self._close_modal(view, view_id)
        return Outcome()

    def close(self, view_id: str) -> Outcome:
        view = self._view(view_id)
        self._close_modal(view, view_id)
        if view.get("notify_on_close"):
            body, content_type = self.sender.build_view_closed(view, user_id=self.user_id)
            return self._interaction(body, content_type)
        return Outcome()

    def _close_modal(self, view: Mapping[str, Any], view_id: str) -> None:
        with self._lock:
            self._closed_roots.add(str(view.get("root_view_id") or view_id))
        self.standin.mark_changed()

    # -- App Home --------------------------------------------------------------------------------------------

    def open_home(self, tab: str = "home") -> Outcome:
        """The app's Home tab, or its Messages tab (the agent conversation, where Slack offers suggested prompts)."""
        if "app_home_opened" not in workspace.BOT_EVENTS:
            return Outcome()
        return self._event(self.payloads.app_home_opened_event(self.user_id, workspace.DM_ID, tab))

    # -- what the page shows ---------------------------------------------------------------------------------

    def page_state(self) -> dict[str, Any]:
        """The person's view of the workspace: their channels, messages they may see, the open modal, Home."""
        snap = self.standin.snapshot()
        me = self.user_id
        channels = [
            {"id": workspace.CHANNEL_ID, "name": workspace.CHANNEL_NAME, "kind": "channel"},
            {"id": workspace.DM_ID, "name": workspace.BOT_NAME, "kind": "im"},
        ]
        messages = {
            c["id"]: [
                m for m in snap["messages"].get(c["id"], []) if m.get("ephemeral_user") in (None, me)
            ]
            for c in channels
        }
        with self._lock:
            closed = set(self._closed_roots)
        open_views = [
            entry["view"] for entry in snap["views"].values() if entry["view"].get("root_view_id") not in closed
        ]
        stack: list[dict[str, Any]] = []
        if open_views:
            root = open_views[-1].get("root_view_id")
            stack = [v for v in open_views if v.get("root_view_id") == root]
        files = {
            f["id"]: {"name": f["name"], "title": f["title"], "preview": f["preview"], "size": f.get("size")}
            for f in snap["files"]
        }
        return {
            "revision": snap["revision"],
            "team": snap["team"],
            "me": {"id": me, "name": workspace.USER_NAME, "real_name": workspace.USER_REAL_NAME},
            "bot": snap["bot"] | {"name": workspace.BOT_NAME},
            "users": {me: workspace.USER_NAME, snap["bot"]["user_id"]: workspace.BOT_NAME},
            "channels": channels,
            "messages": messages,
            "modals": stack,
            "home": snap["home"].get(me),
            # The agent conversation's chrome: thread statuses and titles, and the suggested prompts of the DM.
            "agent": snap["agent"] | {"prompts": snap["agent"]["prompts"].get(workspace.DM_ID)},
            "files": files,
            "files_url": self.standin.base_url + "/files/",
            "commands": list(workspace.COMMANDS),
            "shortcuts": [s._asdict() for s in workspace.MESSAGE_SHORTCUTS],
        }

    # -- lookups ---------------------------------------------------------------------------------------------

    @staticmethod
    def _visible_channel(channel: Any) -> str:
        if channel not in (workspace.CHANNEL_ID, workspace.DM_ID):
            raise SandboxInputError("That conversation does not exist in the sandbox.", status=404)
        return str(channel)

    @staticmethod
    def _channel_name(channel: str) -> str:
        return workspace.CHANNEL_NAME if channel == workspace.CHANNEL_ID else "directmessage"

    def _message(self, channel: str, ts: Any) -> dict[str, Any]:
        for message in self.standin.messages(channel, include_replies=True):
            if message["ts"] == ts and message.get("ephemeral_user") in (None, self.user_id):
                return message
        raise SandboxInputError("That message is gone (deleted or replaced).", status=404)

    def _view(self, view_id: Any) -> dict[str, Any]:
        entry = self.standin.views.get(str(view_id))
        if entry is not None:
            with self._lock:
                if entry["view"].get("root_view_id") in self._closed_roots:
                    raise SandboxInputError("That modal is closed.", status=404)
            return dict(entry["view"])
        home = self.standin.home.get(self.user_id)
        if home is not None and home.get("id") == view_id:
            return dict(home)
        raise SandboxInputError("That view is gone.", status=404)

    @staticmethod
    def _element(blocks: Any, action_id: Any) -> dict[str, Any]:
        found = find_element(blocks, str(action_id))
        if found is None:
            raise SandboxInputError(f"There is no element {action_id!r} there any more.", status=404)
        return found[1]

    @staticmethod
    def _chosen_value(element: Mapping[str, Any], value: Any) -> Any:
        """A button's own value; for selects the option the person picked, checked against the element."""
        kind = element.get("type")
        if kind == "button":
            return element.get("value")
        if kind == "feedback_buttons":
            # One element, two buttons: the value says which one was pressed.
            offered = [(element.get(key) or {}).get("value") for key in ("positive_button", "negative_button")]
            if value not in offered:
                raise SandboxInputError(f"{value!r} is not one of the feedback buttons.")
            return value
        if kind in ("static_select", "overflow"):
            offered = {o.get("value") for o in (element.get("options") or [])}
            for group in element.get("option_groups") or []:
                offered |= {o.get("value") for o in group.get("options") or []}
            if value not in offered:
                raise SandboxInputError(f"{value!r} is not one of the options.")
            return value
        raise SandboxInputError(f"The sandbox cannot use a {kind} element yet.")

    @staticmethod
    def _state(blocks: Any, entered: Mapping[str, Any] | None) -> dict[str, Any]:
        try:
            return state_values(blocks, entered)
        except InvalidInput as err:
            raise SandboxInputError(str(err)) from err

    def _failure(self, response: SentResponse, started: float, command: str) -> str | None:
        if response.status >= 300:
            return f"{command} failed with the error \"dispatch_failed\""
        if time.monotonic() - started > ACK_DEADLINE:
            return f"{command} failed with the error \"operation_timeout\""
        return None
