"""The Web API methods the stand-in implements, each answering as Slack documents, errors included.

A mixin of SlackStandIn: a method gets the merged arguments and the token kind, runs under `self._cond`, reads and
changes the conversation model, and returns the response fields after `"ok": true` or raises ApiError.
"""

from __future__ import annotations

import copy
import mimetypes
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from bot.devtools.slack_standin.agent_api import AgentApiMethods
from bot.devtools.slack_standin.block_kit import MAX_MESSAGE_BLOCKS, block_problems, view_problems
from bot.devtools.slack_standin.conversations import Channel, api_message
from bot.devtools.slack_standin.protocol import ApiError, invalid, truthy
from bot.devtools.socket_mode_server import SocketModeHub

WebApiMethod = Callable[[dict[str, Any], str], dict[str, Any]]


class WebApiMethods(AgentApiMethods):
    _hub: SocketModeHub
    host: str

    def _method_table(self) -> dict[str, WebApiMethod]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "reactions.add": self._reactions_add,
            "apps.connections.open": self._apps_connections_open,
            **self._agent_method_table(),
        }

    def _auth_test(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        result = {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "persona-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "is_enterprise_install": False,
        }
        if kind == "bot":
            result["bot_id"] = self.bot_id
        return result

    # -- chat ---------------------------------------------------------------------------------------------------

    def _chat_post_message(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._postable(params.get("channel"))
        text, blocks = self._message_content(params)
        extra = {"reply_broadcast": True} if truthy(params.get("reply_broadcast")) else {}
        if params.get("metadata"):
            extra["metadata"] = params["metadata"]
        msg = self._store(channel.id, text=text, blocks=blocks, thread_ts=params.get("thread_ts"), extra=extra)
        return {"channel": channel.id, "ts": msg["ts"], "message": api_message(msg)}

    def _chat_post_ephemeral(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._postable(params.get("channel"))
        user = str(params.get("user") or "")
        if not user:
            raise ApiError("user_not_found")
        text, blocks = self._message_content(params)
        msg = self._store(channel.id, text=text, blocks=blocks, thread_ts=params.get("thread_ts"), ephemeral_user=user)
        return {"message_ts": msg["ts"]}

    def _own_message(self, params: Mapping[str, Any], refusal: str) -> tuple[Channel, dict[str, Any]]:
        channel = self._readable(params.get("channel"), need_membership=False)
        msg = self._find(channel.id, params.get("ts"))
        if msg is None:
            # Ephemeral messages are not addressable through chat.update/delete, only through response_url.
            raise ApiError("message_not_found")
        if msg["bot_id"] != self.bot_id:
            raise ApiError(refusal)
        return channel, msg

    def _chat_update(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel, msg = self._own_message(params, "cant_update_message")
        # Omitted fields keep their old value, as in Slack; validate everything before touching the message.
        blocks = params["blocks"] if params.get("blocks") is not None else msg["blocks"]
        text = str(params.get("text") or "") if "text" in params else msg["text"]
        problems = block_problems(blocks, MAX_MESSAGE_BLOCKS, charts=not self.charts_refused)
        if problems:
            raise invalid("invalid_blocks", problems)
        if not text and not blocks:
            raise ApiError("no_text")
        msg["blocks"] = copy.deepcopy(blocks)
        msg["text"] = text
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel.id, "ts": msg["ts"], "text": msg["text"], "message": api_message(msg)}

    def _chat_delete(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel, msg = self._own_message(params, "cant_delete_message")
        self._messages[channel.id].remove(msg)
        return {"channel": channel.id, "ts": msg["ts"]}

    def _chat_get_permalink(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=False)
        ts = str(params.get("message_ts") or "")
        if self._find(channel.id, ts) is None:
            raise ApiError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    # -- views --------------------------------------------------------------------------------------------------

    def _new_view(self, payload: Mapping[str, Any], view_id: str, root_view_id: str | None) -> dict[str, Any]:
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": payload["type"],
            "blocks": copy.deepcopy(payload.get("blocks", [])),
            "private_metadata": payload.get("private_metadata", ""),
            "callback_id": payload.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._ids)}",
            "title": copy.deepcopy(payload.get("title")),
            "close": copy.deepcopy(payload.get("close")),
            "submit": copy.deepcopy(payload.get("submit")),
            "clear_on_close": bool(payload.get("clear_on_close", False)),
            "notify_on_close": bool(payload.get("notify_on_close", False)),
            "external_id": payload.get("external_id", ""),
            "previous_view_id": None,
            "root_view_id": root_view_id or view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _checked_view(self, params: Mapping[str, Any], kind: str) -> dict[str, Any]:
        problems = view_problems(params.get("view"), kind)
        if problems:
            raise invalid("invalid_arguments", problems)
        return dict(params["view"])

    def _open_modal(self, params: dict[str, Any], *, pushed: bool) -> dict[str, Any]:
        trigger = str(params.get("trigger_id") or "")
        if not trigger:
            raise invalid("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        payload = self._checked_view(params, "modal")
        view_id = self._new_id("V")
        previous = self._views.get(self._last_modal or "") if pushed else None
        view = self._new_view(payload, view_id, previous["view"]["root_view_id"] if previous else None)
        if previous is not None:
            view["previous_view_id"] = previous["id"]
        self._views[view_id] = {"id": view_id, "view": view, "trigger_id": trigger, "pushed": pushed, "updates": 0}
        self._last_modal = view_id
        return {"view": copy.deepcopy(view)}

    def _views_open(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        return self._open_modal(params, pushed=False)

    def _views_push(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        return self._open_modal(params, pushed=True)

    def _views_update(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise invalid("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
        entry = next(
            (
                e
                for e in self._views.values()
                if e["id"] == view_id or (external_id and e["view"]["external_id"] == external_id)
            ),
            None,
        )
        home_user = next((u for u, v in self._home.items() if v["id"] == view_id), None)
        if entry is None and home_user is None:
            raise ApiError("not_found")
        current = entry["view"] if entry is not None else self._home[home_user or ""]
        if params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        payload = self._checked_view(params, current["type"])
        view = self._new_view(payload, current["id"], current["root_view_id"])
        view["previous_view_id"] = current["previous_view_id"]
        if entry is not None:
            entry["view"] = view
            entry["updates"] += 1
        else:
            self._home[home_user or ""] = view
        return {"view": copy.deepcopy(view)}

    def _views_publish(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        user = str(params.get("user_id") or "")
        if not user:
            raise invalid("invalid_arguments", ["[ERROR] missing required field: user_id"])
        payload = self._checked_view(params, "home")
        current = self._home.get(user)
        if current is not None and params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view_id = current["id"] if current is not None else self._new_id("V")
        view = self._new_view(payload, view_id, None)
        self._home[user] = view
        return {"view": copy.deepcopy(view)}

    # -- users and conversations --------------------------------------------------------------------------------

    def _users_info(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id:
            raise ApiError("user_not_found")
        if user_id not in self._users:
            self.add_user(user_id)
        user = self._users[user_id]
        result: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user["name"],
            "deleted": False,
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": user["tz"],
            "tz_offset": user["tz_offset"],
            "profile": {
                "real_name": user["real_name"],
                "display_name": user["name"],
                "real_name_normalized": user["real_name"],
                "display_name_normalized": user["name"],
                "team": self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "updated": 1_700_000_000,
        }
        # Slack only includes the locale when asked; an app that forgets include_locale sees none.
        if truthy(params.get("include_locale")):
            result["locale"] = user["locale"]
        return {"user": result}

    def _conversations_info(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        return {"channel": self._readable(params.get("channel"), need_membership=False).to_api()}

    def _conversations_join(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        if channel.is_im or channel.is_private:
            raise ApiError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise ApiError("is_archived")
        result: dict[str, Any] = {}
        if channel.is_member:
            result = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
        channel.is_member = True
        return {"channel": channel.to_api(), **result}

    def _conversations_open(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise ApiError("users_list_not_supplied" if not users else "not_enough_users")
        return {"channel": {"id": self._im_for(users[0]).id}}

    def _conversations_history(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=True)
        limit = int(params.get("limit") or 100)
        top = [m for m in self._messages.get(channel.id, []) if not m["ephemeral_user"] and not self._is_reply(m)]
        newest_first = list(reversed(top))
        return {"messages": [api_message(m) for m in newest_first[:limit]], "has_more": len(top) > limit}

    def _conversations_replies(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=True)
        ts = params.get("ts")
        if self._find(channel.id, ts) is None:
            raise ApiError("thread_not_found")
        thread = [
            m
            for m in self._messages.get(channel.id, [])
            if not m["ephemeral_user"] and (m["ts"] == ts or m["thread_ts"] == ts)
        ]
        return {"messages": [api_message(m) for m in thread], "has_more": False}

    # -- files, reactions, Socket Mode --------------------------------------------------------------------------

    def _files_get_upload_url(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            raise invalid("invalid_arguments", ["[ERROR] filename and a positive length are required"])
        file_id = self._new_id("F")
        self._uploads[file_id] = {
            "id": file_id,
            "name": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
            "snippet_type": params.get("snippet_type"),
            "content": None,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _file_object(self, upload: Mapping[str, Any], title: str, channel: Channel | None) -> dict[str, Any]:
        name = upload["name"]
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        now = int(time.time())
        shared = [channel.id] if channel is not None else []
        return {
            "id": upload["id"],
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title,
            "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "filetype": {"md": "markdown", "txt": "text"}.get(extension, extension or "binary"),
            "user": self.bot_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(upload["content"]),
            "mode": "hosted",
            "is_external": False,
            "is_public": bool(channel and not channel.is_private and not channel.is_im),
            "url_private": f"{self.base_url}/files/{upload['id']}/{quote(name)}",
            "url_private_download": f"{self.base_url}/files/{upload['id']}/{quote(name)}?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload['id']}/{quote(name)}",
            "channels": [c for c in shared if channel and not channel.is_private and not channel.is_im],
            "groups": [c for c in shared if channel and channel.is_private],
            "ims": [c for c in shared if channel and channel.is_im],
        }

    def _files_complete_upload(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise invalid("invalid_arguments", ["[ERROR] files must be a non-empty array"])
        uploads = []
        for entry in entries:
            upload = self._uploads.get(str((entry or {}).get("id")))
            if upload is None or upload["content"] is None:
                raise ApiError("file_not_found")
            uploads.append((upload, str(entry.get("title") or upload["name"])))
        channel_ref = params.get("channel_id") or (str(params.get("channels") or "").split(",")[0] or None)
        # Sharing a file needs membership: chat:write.public does not cover files.
        channel = self._postable(channel_ref, public_scope_applies=False) if channel_ref else None
        thread_ts = params.get("thread_ts") or None
        comment = str(params.get("initial_comment") or "")
        objects = [self._file_object(upload, title, channel) for upload, title in uploads]
        share_ts = None
        if channel is not None:
            share = self._store(
                channel.id,
                text=comment,
                blocks=None,
                thread_ts=thread_ts,
                extra={"files": copy.deepcopy(objects), "upload": True},
            )
            share_ts = share["ts"]
        for (upload, title), obj in zip(uploads, objects, strict=True):
            self._files.append(
                {
                    "id": upload["id"],
                    "name": upload["name"],
                    "title": title,
                    "content": upload["content"],
                    "size": obj["size"],
                    "mimetype": obj["mimetype"],
                    "channel_id": channel.id if channel else None,
                    "thread_ts": thread_ts,
                    "initial_comment": comment or None,
                    "ts": share_ts,
                }
            )
            del self._uploads[upload["id"]]
        return {"files": objects}

    def _reactions_add(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._readable(params.get("channel"), need_membership=False)
        if channel.is_archived:
            raise ApiError("is_archived")
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise ApiError("invalid_name")
        msg = self._find(channel.id, params.get("timestamp"))
        if msg is None:
            raise ApiError("message_not_found")
        reactions = msg.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name:
                if self.bot_user_id in reaction["users"]:
                    raise ApiError("already_reacted")
                reaction["users"].append(self.bot_user_id)
                reaction["count"] += 1
                return {}
        reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        return {}

    def _apps_connections_open(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        ticket = self._hub.new_ticket()
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}
