"""The Web API methods of the agent experience: thread status, titles, suggested prompts and streamed messages.

Arguments follow Slack's reference (docs.slack.dev/reference/methods/…): `assistant.threads.setStatus` takes
`channel_id`, `thread_ts`, `status` and up to 10 `loading_messages`; `setTitle` a `title`; `setSuggestedPrompts`
1–4 `prompts` with a `title` and a `message` each (no `thread_ts` in the agent experience). `chat.startStream`
needs `recipient_team_id` and `recipient_user_id` outside a DM; `markdown_text` holds at most 12,000 characters per
call, as does each `markdown_text` chunk; `chat.stopStream` takes up to 50 `blocks`, checked like any message's.
A streamed message keeps `streaming: true` until it is stopped; appending to a stopped one is refused.
"""

from __future__ import annotations

from typing import Any

from bot.devtools.slack_standin.block_kit import MAX_MESSAGE_BLOCKS, block_problems
from bot.devtools.slack_standin.conversations import ConversationModel, api_message
from bot.devtools.slack_standin.protocol import ApiError, invalid

MAX_LOADING_MESSAGES = 10
MAX_PROMPTS = 4
MAX_MARKDOWN_TEXT = 12_000


def _required(params: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not str(params.get(name) or "").strip()]
    if missing:
        raise invalid("invalid_arguments", [f"[ERROR] missing required field: {name}" for name in missing])


class AgentApiMethods(ConversationModel):
    def _agent_method_table(self) -> dict[str, Any]:
        return {
            "assistant.threads.setStatus": self._set_status,
            "assistant.threads.setTitle": self._set_title,
            "assistant.threads.setSuggestedPrompts": self._set_suggested_prompts,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
        }

    def _agent_thread(self, params: dict[str, Any]) -> tuple[str, str]:
        _required(params, "channel_id", "thread_ts")
        channel = self._readable(params["channel_id"], need_membership=False)
        thread_ts = str(params["thread_ts"])
        if self._find(channel.id, thread_ts) is None:
            raise ApiError("invalid_thread_ts")
        return channel.id, thread_ts

    def _set_status(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        if "status" not in params:
            raise invalid("invalid_arguments", ["[ERROR] missing required field: status"])
        where = self._agent_thread(params)
        loading = params.get("loading_messages") or []
        if not isinstance(loading, list) or len(loading) > MAX_LOADING_MESSAGES:
            raise invalid("invalid_arguments", [f"[ERROR] no more than {MAX_LOADING_MESSAGES} items allowed "
                                                "[json-pointer:/loading_messages]"])
        if str(params["status"]):
            self.statuses[where] = {"status": str(params["status"]), "loading_messages": [str(m) for m in loading]}
        else:
            self.statuses.pop(where, None)  # an empty status clears it
        return {}

    def _set_title(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        _required(params, "title")
        self.titles[self._agent_thread(params)] = str(params["title"])
        return {}

    def _set_suggested_prompts(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        _required(params, "channel_id")
        channel = self._readable(params["channel_id"], need_membership=False)
        prompts = params.get("prompts")
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= MAX_PROMPTS:
            raise invalid("invalid_arguments", [f"[ERROR] must provide 1 to {MAX_PROMPTS} items "
                                                "[json-pointer:/prompts]"])
        for i, prompt in enumerate(prompts):
            if not isinstance(prompt, dict) or not prompt.get("title") or not prompt.get("message"):
                raise invalid("invalid_arguments", [f"[ERROR] title and message are required "
                                                    f"[json-pointer:/prompts/{i}]"])
        self.suggested_prompts[channel.id] = {"title": params.get("title"), "prompts": prompts,
                                              "thread_ts": params.get("thread_ts")}
        return {}

    # -- streams ------------------------------------------------------------------------------------------------

    @staticmethod
    def _stream_text(params: dict[str, Any]) -> str:
        """The text of a call: `markdown_text` and the `markdown_text` chunks, each within Slack's 12,000."""
        pieces = [str(params["markdown_text"])] if params.get("markdown_text") else []
        chunks = params.get("chunks") or []
        if not isinstance(chunks, list):
            raise ApiError("invalid_chunks")
        for chunk in chunks:
            if not isinstance(chunk, dict) or chunk.get("type") != "markdown_text":
                raise ApiError("invalid_chunks")
            pieces.append(str(chunk.get("text") or ""))
        if any(len(piece) > MAX_MARKDOWN_TEXT for piece in pieces):
            raise invalid("invalid_arguments", [f"[ERROR] must be at most {MAX_MARKDOWN_TEXT} characters "
                                                "[json-pointer:/markdown_text]"])
        return "".join(pieces)

    def _start_stream(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        _required(params, "channel", "thread_ts")
        channel = self._postable(params["channel"])
        if not channel.is_im:
            # Outside a DM Slack must know whom the stream is for.
            _required(params, "recipient_team_id", "recipient_user_id")
        if self._find(channel.id, str(params["thread_ts"])) is None:
            raise ApiError("invalid_thread_ts")
        text = self._stream_text(params)
        msg = self._store(channel.id, text=text, blocks=None, thread_ts=str(params["thread_ts"]),
                          extra={"streaming": True, "markdown": True})
        return {"channel": channel.id, "ts": msg["ts"]}

    def _streaming_message(self, params: dict[str, Any]) -> dict[str, Any]:
        _required(params, "channel", "ts")
        channel = self._readable(params["channel"], need_membership=False)
        msg = self._find(channel.id, str(params["ts"]))
        if msg is None:
            raise ApiError("message_not_found")
        if not msg.get("streaming"):
            raise ApiError("message_not_in_streaming_state")
        return msg

    def _append_stream(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        msg = self._streaming_message(params)
        text = self._stream_text(params)
        if not text:
            raise invalid("invalid_arguments", ["[ERROR] missing required field: markdown_text"])
        msg["text"] += text
        return {"channel": msg["channel"], "ts": msg["ts"]}

    def _stop_stream(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        msg = self._streaming_message(params)
        text = self._stream_text(params)
        blocks = params.get("blocks")
        if blocks is not None:
            problems = block_problems(blocks, MAX_MESSAGE_BLOCKS, charts=not self.charts_refused)
            if problems:
                raise invalid("invalid_blocks", problems)
            msg["blocks"] = blocks
        msg["text"] += text
        msg["streaming"] = False
        return {"channel": msg["channel"], "ts": msg["ts"], "message": api_message(msg)}
