"""The stand-in's conversation model: channels, users, messages with threads and ephemeral messages, modals, App
Home views, uploaded files and response_urls, as Slack would hold them for one workspace.

A mixin of SlackStandIn: every method runs under `self._cond`, which the stand-in owns; methods that change what a
person could see call `self._changed()` so the sandbox page's long-poll wakes up.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.devtools.slack_standin.block_kit import MAX_MESSAGE_BLOCKS, block_problems
from bot.devtools.slack_standin.protocol import ApiError, invalid, truthy

_FIRST_TS = 1_700_000_000_000_100  # microseconds; shown as "1700000000.000100"
_ID_RE = re.compile(r"[A-Z0-9]+")


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = True
    is_im: bool = False
    user: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": self.is_member,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_shared": False,
            "created": 1_600_000_000,
            **({"user": self.user} if self.user else {}),
        }


@dataclass
class ResponseTarget:
    channel_id: str
    user_id: str
    message_ts: str | None
    thread_ts: str | None


def api_message(msg: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in msg.items() if v is not None and k not in ("channel", "ephemeral_user")}


class ConversationModel:
    # Set by SlackStandIn.__init__.
    team_id: str
    team_domain: str
    team_name: str
    bot_user_id: str
    bot_id: str
    app_id: str
    default_locale: str
    scopes: set[str]
    _cond: threading.Condition
    _revision: int

    def _init_model(self) -> None:
        # True answers as a workspace whose Slack does not draw charts: a chart block is `invalid_blocks`.
        self.charts_refused = False
        # The agent conversation's chrome: per (channel, thread_ts) the status and title; per channel the prompts.
        self.statuses: dict[tuple[str, str], dict[str, Any]] = {}
        self.titles: dict[tuple[str, str], str] = {}
        self.suggested_prompts: dict[str, dict[str, Any]] = {}
        self._ts = _FIRST_TS - 100
        self._ids = itertools.count(1)
        self._channels: dict[str, Channel] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._home: dict[str, dict[str, Any]] = {}
        self._last_modal: str | None = None
        self._uploads: dict[str, dict[str, Any]] = {}
        self._files: list[dict[str, Any]] = []
        self._responses: dict[str, ResponseTarget] = {}
        self.add_user(self.bot_user_id, name="persona-bot", is_bot=True)

    # -- model setup --------------------------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
    ) -> Channel:
        with self._cond:
            channel = Channel(
                channel_id,
                name or channel_id.lower(),
                is_private=is_private,
                is_archived=is_archived,
                is_member=is_member,
                is_im=channel_id.startswith("D"),
            )
            self._channels[channel_id] = channel
            self._changed()
            return channel

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        locale: str | None = None,
        *,
        real_name: str | None = None,
        tz: str = "Asia/Taipei",
        tz_offset: int = 8 * 3600,
        is_bot: bool = False,
    ) -> None:
        with self._cond:
            self._users[user_id] = {
                "id": user_id,
                "name": name or user_id.lower(),
                "real_name": real_name or name or user_id,
                "locale": locale or self.default_locale,
                "tz": tz,
                "tz_offset": tz_offset,
                "is_bot": is_bot,
            }

    def post_user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        """A message typed by a person (the sandbox's input box); pair it with the matching Events API event."""
        with self._cond:
            ch = self._channel(channel)
            msg = self._store(ch.id, text=text, blocks=None, thread_ts=thread_ts, user=user)
            self._changed()
            return copy.deepcopy(msg)

    def post_command_reply(self, channel: str, user: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """What Slack shows for a slash command acked with a message: ephemeral unless `in_channel`.

        Raises ValueError with Slack's messages when the blocks break Block Kit's limits, as Slack then shows
        the user an error instead of the message.
        """
        blocks = payload.get("blocks")
        if blocks is not None:
            problems = block_problems(blocks, MAX_MESSAGE_BLOCKS, charts=not self.charts_refused)
            if problems:
                raise ValueError("; ".join(problems))
        with self._cond:
            ch = self._channel(channel)
            in_channel = payload.get("response_type") == "in_channel"
            msg = self._store(
                ch.id,
                text=str(payload.get("text") or ""),
                blocks=blocks,
                thread_ts=None,
                ephemeral_user=None if in_channel else user,
            )
            self._changed()
            return copy.deepcopy(msg)

    # -- model reads --------------------------------------------------------------------------------------------

    def messages(
        self,
        channel: str,
        thread_ts: str | None = None,
        *,
        include_replies: bool = False,
        include_ephemeral: bool = True,
    ) -> list[dict[str, Any]]:
        """Messages oldest first: top level by default, a thread's parent and replies with `thread_ts`."""
        with self._cond:
            result = []
            for msg in self._messages.get(channel, []):
                if not include_ephemeral and msg["ephemeral_user"]:
                    continue
                if thread_ts is not None:
                    keep = msg["ts"] == thread_ts or msg["thread_ts"] == thread_ts
                else:
                    keep = include_replies or not self._is_reply(msg)
                if keep:
                    result.append(copy.deepcopy(msg))
            return result

    @staticmethod
    def _is_reply(msg: Mapping[str, Any]) -> bool:
        return bool(msg["thread_ts"]) and msg["thread_ts"] != msg["ts"] and not msg.get("reply_broadcast")

    @property
    def channels(self) -> dict[str, Channel]:
        with self._cond:
            return copy.deepcopy(self._channels)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Modals by view id: {"id", "view" (latest view object), "trigger_id", "pushed", "updates"}."""
        with self._cond:
            return copy.deepcopy(self._views)

    @property
    def home(self) -> dict[str, dict[str, Any]]:
        """The App Home view last published for each user."""
        with self._cond:
            return copy.deepcopy(self._home)

    @property
    def files(self) -> list[dict[str, Any]]:
        """Completed uploads: id, name, title, content (bytes), channel_id, thread_ts, initial_comment, ts."""
        with self._cond:
            return copy.deepcopy(self._files)

    def snapshot(self) -> dict[str, Any]:
        """The conversation model as JSON-safe data (what the sandbox page renders)."""
        with self._cond:
            files = [
                {k: v for k, v in f.items() if k != "content"}
                | {"preview": f["content"][:4000].decode("utf-8", errors="replace")}
                for f in self._files
            ]
            return copy.deepcopy(
                {
                    "team": {"id": self.team_id, "domain": self.team_domain, "name": self.team_name},
                    "bot": {"user_id": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id},
                    "channels": {cid: ch.to_api() for cid, ch in self._channels.items()},
                    "messages": self._messages,
                    "views": self._views,
                    "home": self._home,
                    "files": files,
                    "agent": {
                        "statuses": [{"channel": c, "thread_ts": ts, **st} for (c, ts), st in self.statuses.items()],
                        "titles": [{"channel": c, "thread_ts": ts, "title": title}
                                   for (c, ts), title in self.titles.items()],
                        "prompts": self.suggested_prompts,
                    },
                    "revision": self._revision,
                }
            )

    # -- response_url -------------------------------------------------------------------------------------------

    def response_url(
        self,
        name: str | None = None,
        *,
        channel_id: str = "C1",
        user_id: str = "U1",
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """A response_url under the stand-in, bound to the channel and user (and source message) it answers."""
        with self._cond:
            name = name or f"r{next(self._ids)}"
            self._responses[name] = ResponseTarget(channel_id, user_id, message_ts, thread_ts)
        return f"{self.base_url}/response_url/{quote(name, safe='')}"

    def _apply_response(self, name: str, params: Mapping[str, Any]) -> None:
        target = self._responses.get(name)
        if target is None:
            raise ApiError("no_service", status=404)
        blocks = params.get("blocks")
        if blocks is not None:
            problems = block_problems(blocks, MAX_MESSAGE_BLOCKS, charts=not self.charts_refused)
            if problems:
                raise ApiError("invalid_blocks", status=400, extra={"response_metadata": {"messages": problems}})
        if truthy(params.get("delete_original")) or truthy(params.get("replace_original")):
            source = self._find(target.channel_id, target.message_ts, ephemeral=None)
            if source is None:
                raise ApiError("message_not_found", status=404)
            if truthy(params.get("delete_original")):
                self._messages[target.channel_id].remove(source)
                target.message_ts = None
                return
            source["text"] = str(params.get("text") or "")
            source["blocks"] = copy.deepcopy(blocks) if blocks is not None else []
            source["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
            return
        if not params.get("text") and not blocks:
            raise ApiError("no_text", status=400)
        channel = self._channel(target.channel_id)
        in_channel = params.get("response_type") == "in_channel"
        msg = self._store(
            channel.id,
            text=str(params.get("text") or ""),
            blocks=blocks,
            thread_ts=params.get("thread_ts") or target.thread_ts,
            ephemeral_user=None if in_channel else target.user_id,
        )
        # Later replace_original/delete_original calls on this URL act on the newest message it produced.
        target.message_ts = msg["ts"]

    # -- model internals (callers hold self._cond) --------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _im_for(self, user_id: str) -> Channel:
        # A user id as `channel` means the app's DM with that user; U1 maps to D1 to match the sender's defaults.
        im_id = "D" + user_id[1:]
        channel = self._channels.get(im_id)
        if channel is None:
            channel = Channel(im_id, "", is_im=True, user=user_id)
            self._channels[im_id] = channel
        return channel

    def _channel(self, ref: Any) -> Channel:
        ref = str(ref or "").strip()
        if not ref:
            raise ApiError("channel_not_found")
        if not _ID_RE.fullmatch(ref):
            name = ref.lstrip("#")
            for channel in self._channels.values():
                if channel.name == name:
                    return channel
            raise ApiError("channel_not_found")
        channel = self._channels.get(ref)
        if channel is None:
            if ref[0] in "UW":
                return self._im_for(ref)
            is_im = ref.startswith("D")
            channel = Channel(ref, "" if is_im else ref.lower(), is_im=is_im)
            self._channels[ref] = channel
        return channel

    def _postable(self, ref: Any, *, public_scope_applies: bool = True) -> Channel:
        channel = self._channel(ref)
        if channel.is_archived:
            raise ApiError("is_archived")
        if not channel.is_member and not channel.is_im:
            if channel.is_private:
                raise ApiError("channel_not_found")
            if not (public_scope_applies and "chat:write.public" in self.scopes):
                raise ApiError("not_in_channel")
        return channel

    def _readable(self, ref: Any, *, need_membership: bool) -> Channel:
        channel = self._channel(ref)
        if not channel.is_member and not channel.is_im:
            if channel.is_private:
                raise ApiError("channel_not_found")
            if need_membership:
                raise ApiError("not_in_channel")
        return channel

    def _store(
        self,
        channel_id: str,
        *,
        text: str,
        blocks: Any,
        thread_ts: str | None,
        user: str | None = None,
        ephemeral_user: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        ts = self._next_ts()
        by_bot = user is None
        msg: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "channel": channel_id,
            "user": self.bot_user_id if by_bot else user,
            "bot_id": self.bot_id if by_bot else None,
            "app_id": self.app_id if by_bot else None,
            "team": self.team_id,
            "text": text,
            "blocks": copy.deepcopy(blocks) if blocks is not None else [],
            "thread_ts": thread_ts or None,
            "ephemeral_user": ephemeral_user,
            **dict(extra or {}),
        }
        self._messages.setdefault(channel_id, []).append(msg)
        if by_bot and thread_ts:
            # Slack clears a thread's status when the app replies in it.
            self.statuses.pop((channel_id, str(thread_ts)), None)
        if thread_ts and not ephemeral_user:
            parent = self._find(channel_id, thread_ts)
            if parent is not None and parent is not msg:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = ts
        return msg

    def _find(self, channel_id: str, ts: Any, *, ephemeral: bool | None = False) -> dict[str, Any] | None:
        for msg in self._messages.get(channel_id, []):
            if msg["ts"] == ts and (ephemeral is None or bool(msg["ephemeral_user"]) == ephemeral):
                return msg
        return None

    def _message_content(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        text = str(params.get("text") or "")
        blocks = params.get("blocks")
        if not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        if blocks is not None:
            problems = block_problems(blocks, MAX_MESSAGE_BLOCKS, charts=not self.charts_refused)
            if problems:
                raise invalid("invalid_blocks", problems)
        return text, blocks
