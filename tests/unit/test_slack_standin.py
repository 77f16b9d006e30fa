"""The Slack stand-in and the signed request sender, exercised with the real slack_sdk and slack_bolt clients."""

from __future__ import annotations

import json
import queue
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from bot.devtools import SlackPayloads, SlackRequestSender, SlackStandIn, close_socket_mode_client
from bot.devtools.socket_mode_server import (
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_TEXT,
    WebSocketConnection,
    encode_frame,
)

SECRET = "test-signing-secret"
BUTTONS = [
    {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Pick one"}},
    {
        "type": "actions",
        "block_id": "choices",
        "elements": [
            {"type": "button", "action_id": "pick", "text": {"type": "plain_text", "text": "Pick"}, "value": "a"},
            {
                "type": "static_select",
                "action_id": "lang",
                "options": [{"text": {"type": "plain_text", "text": "繁體中文"}, "value": "zh-TW"}],
            },
        ],
    },
]
MODAL = {
    "type": "modal",
    "callback_id": "segment_form",
    "title": {"type": "plain_text", "text": "Persona"},
    "submit": {"type": "plain_text", "text": "Create"},
    "private_metadata": "C1",
    "blocks": [
        {
            "type": "input",
            "block_id": "segment",
            "label": {"type": "plain_text", "text": "Segment"},
            "element": {"type": "plain_text_input", "action_id": "segment_text"},
        }
    ],
}


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn()
    stand_in.start()
    try:
        yield stand_in
    finally:
        stand_in.stop()
    assert stand_in.internal_errors == []


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(base_url=standin.api_url, token="xoxb-test")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def bolt_http(standin: SlackStandIn) -> Iterator[tuple[App, SlackRequestSender]]:
    """A real Bolt app in HTTP mode behind wsgiref, its WebClient pointed at the stand-in."""
    app = App(signing_secret=SECRET, client=WebClient(base_url=standin.api_url, token="xoxb-test"))
    server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        yield app, SlackRequestSender(url, SECRET, response_url_factory=standin.response_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# -- Web API and the conversation model -------------------------------------------------------------------


def test_messages_threads_updates_and_ephemerals_land_in_the_model(standin: SlackStandIn, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="persona ready", blocks=BUTTONS)
    reply = client.chat_postMessage(channel="C1", text="details", thread_ts=parent["ts"])
    eph = client.chat_postEphemeral(channel="C1", user="U7", text="only you", thread_ts=parent["ts"])
    updated = client.chat_update(channel="C1", ts=parent["ts"], text="persona updated")

    assert parent["channel"] == "C1" and parent["message"]["blocks"] == BUTTONS
    assert parent["ts"] == "1700000000.000100"
    assert float(parent["ts"]) < float(reply["ts"]) < float(eph["message_ts"])
    assert updated["message"]["text"] == "persona updated"

    top = standin.messages("C1")
    assert [m["ts"] for m in top] == [parent["ts"]]
    assert top[0]["text"] == "persona updated" and top[0]["blocks"] == BUTTONS  # blocks kept when not re-sent
    assert top[0]["reply_count"] == 1 and top[0]["edited"]["user"] == standin.bot_user_id

    thread = standin.messages("C1", thread_ts=parent["ts"])
    assert [m["text"] for m in thread] == ["persona updated", "details", "only you"]
    assert [m["ephemeral_user"] for m in thread] == [None, None, "U7"]
    assert all(m["bot_id"] == standin.bot_id for m in thread)

    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts=eph["message_ts"], text="ephemeral messages cannot be updated")
    assert err.value.response["error"] == "message_not_found"

    client.chat_delete(channel="C1", ts=reply["ts"])
    assert [m["text"] for m in standin.messages("C1", thread_ts=parent["ts"])] == ["persona updated", "only you"]


def test_calls_record_params_and_token_but_not_the_authorization_header(
    standin: SlackStandIn, client: WebClient
) -> None:
    client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
    call = standin.wait_for("chat.postMessage", timeout=1)
    assert call.params["text"] == "hi" and call.params["blocks"] == [{"type": "divider"}]
    assert call.token == "xoxb-test" and call.token_type == "bot" and call.ok
    assert "authorization" not in call.headers
    assert standin.calls_to("chat.postMessage") == [call]

    standin.reset()
    assert standin.calls == []
    with pytest.raises(AssertionError, match=r"no users\.info call within .*seen: \[\]"):
        standin.wait_for("users.info", timeout=0.05)


def test_requests_without_a_usable_token_are_refused(standin: SlackStandIn) -> None:
    url = standin.api_url + "chat.postMessage"
    body = json.dumps({"channel": "C1", "text": "hi"}).encode()
    assert _raw_post(url, body, {"Content-Type": "application/json"}) == (200, {"ok": False, "error": "not_authed"})
    _, data = _raw_post(url, body, {"Content-Type": "application/json", "Authorization": "Bearer xapp-1-x"})
    assert data["error"] == "not_allowed_token_type"
    _, data = _raw_post(url, b"token=xoxb-form&channel=C1&text=hi", {})
    assert data["ok"] is True and standin.calls[-1].token == "xoxb-form"
    assert standin.messages("C1")[-1]["text"] == "hi"

    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=standin.api_url, token="xoxb-test").apps_connections_open(app_token="xoxb-test")
    assert err.value.response["error"] == "not_allowed_token_type"


def test_rate_limit_is_retried_by_the_sdk_retry_handler(standin: SlackStandIn, client: WebClient) -> None:
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    standin.fail_next("chat.postMessage", retry_after=0)

    assert client.chat_postMessage(channel="C1", text="after retry")["ok"] is True
    first, second = standin.calls_to("chat.postMessage")
    assert (first.status, first.response["error"], second.status) == (429, "ratelimited", 200)
    assert [m["text"] for m in standin.messages("C1")] == ["after retry"]


def test_rate_limit_surfaces_with_retry_after_without_a_retry_handler(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail_next("views.publish", retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
        assert err.value.response.status_code == 429
        assert err.value.response.headers["Retry-After"] == "7"
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"] is True


def test_generic_failure_injection(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail_next("users.info", "user_not_found")
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U1")
    assert (err.value.response.status_code, err.value.response["error"]) == (200, "user_not_found")
    assert client.users_info(user="U1")["ok"] is True


def test_channel_rules(standin: SlackStandIn, client: WebClient) -> None:
    standin.add_channel("C2", "old-news", is_archived=True)
    standin.add_channel("G1", "secret", is_private=True, is_member=False)
    standin.add_channel("C3", "lobby", is_member=False)

    def error_for(channel: str) -> str:
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel=channel, text="hello")
        return err.value.response["error"]

    assert error_for("C2") == "is_archived"
    assert error_for("G1") == "channel_not_found"
    assert error_for("#no-such-channel") == "channel_not_found"
    assert client.chat_postMessage(channel="C3", text="hello")["ok"] is True  # chat:write.public by default
    assert client.chat_postMessage(channel="#lobby", text="by name")["channel"] == "C3"

    standin.set_scopes(standin.scopes - {"chat:write.public"})
    assert error_for("C3") == "not_in_channel"
    joined = client.conversations_join(channel="C3")
    assert joined["channel"]["is_member"] is True
    assert client.chat_postMessage(channel="C3", text="member now")["ok"] is True

    fresh = client.conversations_info(channel="C99")["channel"]
    assert (fresh["is_channel"], fresh["is_member"], fresh["is_private"]) == (True, True, False)
    with pytest.raises(SlackApiError) as err:
        client.conversations_info(channel="G1")
    assert err.value.response["error"] == "channel_not_found"

    standin.set_scopes(standin.scopes - {"chat:write"})
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="no scope")
    assert (err.value.response["error"], err.value.response["needed"]) == ("missing_scope", "chat:write")


def test_block_kit_limits_are_enforced(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="t", blocks=[{"type": "divider"}] * 51)
    assert err.value.response["error"] == "invalid_blocks"
    assert "no more than 50 items" in err.value.response["response_metadata"]["messages"][0]

    duplicated = [BUTTONS[1], {**BUTTONS[1], "block_id": "again"}]
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="t", blocks=duplicated)
    assert any("duplicate action_id" in m for m in err.value.response["response_metadata"]["messages"])

    with pytest.raises(SlackApiError) as err, pytest.warns(UserWarning, match="`text` argument is missing"):
        client.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"


def test_table_blocks_are_checked_like_slack(client: WebClient) -> None:
    cell = {"type": "raw_text", "text": "x"}
    table = {"type": "table", "rows": [[cell, cell]]}
    assert client.chat_postMessage(channel="C1", text="t", blocks=[table])["ok"]
    wide = {"type": "table", "rows": [[cell] * 21, [{"type": "raw_text", "text": ""}]]}
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="t", blocks=[wide])
    messages = err.value.response["response_metadata"]["messages"]
    assert any("/blocks/0/rows/0" in m and "20 items" in m for m in messages)
    assert any("/blocks/0/rows/1/0" in m for m in messages)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="t", blocks=[table, {**table, "block_id": "b"}])
    assert any("only_one_table_allowed" in m for m in err.value.response["response_metadata"]["messages"])


def test_users_info_reports_locale_only_when_asked(standin: SlackStandIn, client: WebClient) -> None:
    standin.add_user("U7", name="mei", locale="zh-TW")
    with_locale = client.users_info(user="U7", include_locale=True)["user"]
    assert (with_locale["name"], with_locale["locale"]) == ("mei", "zh-TW")
    assert "locale" not in client.users_info(user="U7")["user"]
    assert client.users_info(user="U8", include_locale=True)["user"]["locale"] == "en-US"


def test_auth_test_identifies_the_bot(standin: SlackStandIn, client: WebClient) -> None:
    result = client.auth_test()
    assert (result["team_id"], result["user_id"], result["bot_id"]) == (
        standin.team_id,
        standin.bot_user_id,
        standin.bot_id,
    )
    assert result["url"].startswith("https://")


def test_files_upload_v2_end_to_end(standin: SlackStandIn, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="persona")
    result = client.files_upload_v2(
        channel="C1",
        thread_ts=parent["ts"],
        initial_comment="full persona attached",
        file_uploads=[{"content": "# 健身愛好者\n", "filename": "persona.md", "title": "Persona: fitness"}],
    )
    assert result["file"]["name"] == "persona.md" and result["file"]["title"] == "Persona: fitness"

    upload = standin.wait_for("file_upload", timeout=1)
    assert upload.params["filename"] == "persona.md" and upload.params["content"] == "# 健身愛好者\n".encode()

    (stored,) = standin.files
    assert stored["content"] == "# 健身愛好者\n".encode()
    assert (stored["title"], stored["channel_id"], stored["thread_ts"]) == ("Persona: fitness", "C1", parent["ts"])
    assert stored["initial_comment"] == "full persona attached"

    share = standin.messages("C1", thread_ts=parent["ts"])[-1]
    assert share["text"] == "full persona attached" and share["files"][0]["id"] == stored["id"]

    with urllib.request.urlopen(result["file"]["url_private"], timeout=5) as resp:
        assert resp.read() == stored["content"]


def test_file_sharing_needs_channel_membership(standin: SlackStandIn, client: WebClient) -> None:
    standin.add_channel("C3", "lobby", is_member=False)
    with pytest.raises(SlackApiError) as err:
        client.files_upload_v2(channel="C3", content="x", filename="a.txt")
    assert err.value.response["error"] == "not_in_channel"
    assert standin.files == []


def test_views_open_update_push_and_publish(standin: SlackStandIn, client: WebClient) -> None:
    opened = client.views_open(trigger_id="123.456.abc", view=MODAL)["view"]
    assert opened["callback_id"] == "segment_form" and opened["root_view_id"] == opened["id"]
    assert standin.views[opened["id"]]["trigger_id"] == "123.456.abc"

    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=opened["id"], hash="stale", view=MODAL)
    assert err.value.response["error"] == "hash_conflict"

    changed = {**MODAL, "private_metadata": "C2"}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert standin.views[opened["id"]]["view"]["private_metadata"] == "C2"

    pushed = client.views_push(trigger_id="789.1.def", view=MODAL)["view"]
    assert pushed["previous_view_id"] == opened["id"] and pushed["root_view_id"] == opened["id"]

    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id="VNOPE", view=MODAL)
    assert err.value.response["error"] == "not_found"

    too_long = {**MODAL, "title": {"type": "plain_text", "text": "A title well over the limit"}}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="1.2.3", view=too_long)
    assert err.value.response["error"] == "invalid_arguments"
    assert "/view/title/text" in err.value.response["response_metadata"]["messages"][0]

    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}]}
    first = client.views_publish(user_id="U7", view=home)["view"]
    again = client.views_publish(user_id="U7", view={"type": "home", "blocks": []})["view"]
    assert first["id"] == again["id"]
    assert standin.home["U7"]["blocks"] == []


def test_reactions_and_history(standin: SlackStandIn, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="hello")["ts"]
    client.chat_postMessage(channel="C1", text="in thread", thread_ts=ts)
    client.reactions_add(channel="C1", timestamp=ts, name="eyes")
    with pytest.raises(SlackApiError) as err:
        client.reactions_add(channel="C1", timestamp=ts, name="eyes")
    assert err.value.response["error"] == "already_reacted"
    assert standin.messages("C1")[0]["reactions"] == [{"name": "eyes", "users": [standin.bot_user_id], "count": 1}]

    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["hello"]
    assert [m["text"] for m in client.conversations_replies(channel="C1", ts=ts)["messages"]] == ["hello", "in thread"]


def test_response_url_posts_are_recorded_and_applied(standin: SlackStandIn) -> None:
    url = standin.response_url("cmd", channel_id="C5", user_id="U7")
    hook = WebhookClient(url)

    assert hook.send(text="thinking…").status_code == 200
    (ephemeral,) = standin.messages("C5")
    assert (ephemeral["ephemeral_user"], ephemeral["text"]) == ("U7", "thinking…")

    assert hook.send(text="done", replace_original=True).status_code == 200
    assert [m["text"] for m in standin.messages("C5")] == ["done"]

    assert hook.send(text="for everyone", response_type="in_channel").status_code == 200
    shared = standin.messages("C5")[-1]
    assert shared["ephemeral_user"] is None and shared["bot_id"] == standin.bot_id

    assert hook.send(delete_original=True).status_code == 200
    assert [m["text"] for m in standin.messages("C5")] == ["done"]

    calls = standin.calls_to("response_url")
    assert [c.params.get("text") for c in calls] == ["thinking…", "done", "for everyone", None]
    assert calls[1].params["replace_original"] is True and calls[0].path.endswith("/cmd")

    assert WebhookClient(standin.base_url + "/response_url/unknown").send(text="x").status_code == 404


def test_snapshot_is_served_as_json(standin: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="hi")
    with urllib.request.urlopen(standin.base_url + "/_standin/state", timeout=5) as resp:
        state = json.loads(resp.read())
    assert state["messages"]["C1"][0]["text"] == "hi"
    assert state["channels"]["C1"]["is_member"] is True


# -- Signed requests to a real Bolt app over HTTP -------------------------------------------------------------


def test_signature_verifies_and_a_tampered_body_does_not() -> None:
    sender = SlackRequestSender("http://127.0.0.1:9/", SECRET)
    body, content_type = sender.build_slash_command("fitness enthusiasts in Taipei")
    headers = sender.signature_headers(body)
    verifier = SignatureVerifier(SECRET)
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]

    assert content_type == "application/x-www-form-urlencoded"
    assert verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    assert not verifier.is_valid(body=body.replace("Taipei", "Tainan"), timestamp=timestamp, signature=signature)
    assert not SignatureVerifier("other-secret").is_valid(body=body, timestamp=timestamp, signature=signature)


def test_slash_command_reaches_bolt_and_its_replies_reach_the_standin(
    standin: SlackStandIn, bolt_http: tuple[App, SlackRequestSender]
) -> None:
    app, sender = bolt_http
    standin.add_user("U7", locale="zh-TW")

    @app.command("/persona")
    def handle(ack: Any, command: dict[str, Any], say: Any, respond: Any, client: WebClient) -> None:
        ack(text="working on it")
        locale = client.users_info(user=command["user_id"], include_locale=True)["user"]["locale"]
        say(f"persona for {command['text']} ({locale})")
        respond("only you can see this")

    resp = sender.slash_command("fitness enthusiasts in Taipei", user_id="U7", channel_id="C9")
    assert (resp.status, resp.body) == (200, "working on it")  # Bolt answers a text-only ack as plain text

    said = standin.wait_for("chat.postMessage", timeout=5)
    assert said.params["channel"] == "C9" and said.params["text"] == "persona for fitness enthusiasts in Taipei (zh-TW)"
    standin.wait_for("response_url", timeout=5)
    texts = {(m["text"], m["ephemeral_user"]) for m in standin.messages("C9")}
    assert texts == {(said.params["text"], None), ("only you can see this", "U7")}


def test_forged_and_stale_requests_are_rejected_by_bolt(bolt_http: tuple[App, SlackRequestSender]) -> None:
    app, sender = bolt_http
    seen: list[str] = []

    @app.command("/persona")
    def handle(ack: Any, command: dict[str, Any]) -> None:
        seen.append(command["text"])
        ack()

    body, content_type = sender.build_slash_command("fitness")
    headers = sender.signature_headers(body)
    forged = body.replace("fitness", "gaming")
    assert sender.post(forged, content_type, extra_headers=headers, sign=False).status == 401
    assert sender.slash_command("fitness", timestamp=int(time.time()) - 600).status == 401
    assert sender.post(body, content_type, extra_headers=headers, sign=False).status == 200
    assert seen == ["fitness"]


def test_block_actions_from_messages_and_ephemerals(
    standin: SlackStandIn, bolt_http: tuple[App, SlackRequestSender], client: WebClient
) -> None:
    app, sender = bolt_http
    bodies: list[dict[str, Any]] = []

    @app.action("pick")
    def pick(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        bodies.append(body)
        container = body["container"]
        if container["is_ephemeral"]:
            respond(text="picked privately", replace_original=True)
        else:
            client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text="picked")

    posted = client.chat_postMessage(channel="C1", text="choose", blocks=BUTTONS)
    message = standin.messages("C1")[0]
    assert sender.block_action("pick", "a", user_id="U7", message=message).status == 200
    standin.wait_for("chat.update", timeout=5)
    assert standin.messages("C1")[0]["text"] == "picked"
    body = bodies[0]
    assert body["actions"][0]["block_id"] == "choices" and body["actions"][0]["value"] == "a"
    assert body["message"]["ts"] == posted["ts"] and body["user"]["id"] == "U7"

    client.chat_postEphemeral(channel="C1", user="U7", text="private choice", blocks=BUTTONS)
    ephemeral = standin.messages("C1")[-1]
    assert sender.block_action("pick", "a", user_id="U7", message=ephemeral).status == 200
    standin.wait_for("response_url", timeout=5)
    assert "message" not in bodies[1] and bodies[1]["container"]["is_ephemeral"] is True
    assert [m["text"] for m in standin.messages("C1") if m["ephemeral_user"]] == ["picked privately"]

    with pytest.raises(LookupError):
        sender.block_action("not-there", "x", message=message)


def test_modal_submission_and_options(standin: SlackStandIn, bolt_http: tuple[App, SlackRequestSender]) -> None:
    app, sender = bolt_http

    @app.command("/persona")
    def open_form(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.view("segment_form")
    def submit(ack: Any, view: dict[str, Any]) -> None:
        text = view["state"]["values"]["segment"]["segment_text"]["value"]
        ack(response_action="errors", errors={"segment": f"no segment matches {text!r}"})

    @app.options("lang")
    def suggest(ack: Any, payload: dict[str, Any]) -> None:
        ack(options=[{"text": {"type": "plain_text", "text": payload["value"].upper()}, "value": payload["value"]}])

    sender.slash_command("")
    opened = standin.wait_for("views.open", timeout=5)
    (entry,) = standin.views.values()
    assert entry["trigger_id"] == opened.params["trigger_id"]

    values = {"segment": {"segment_text": {"type": "plain_text_input", "value": "cats"}}}
    resp = sender.view_submission(entry["view"], values, user_id="U7")
    assert resp.json() == {"response_action": "errors", "errors": {"segment": "no segment matches 'cats'"}}

    options = sender.block_suggestion("lang", "zh", message={"ts": "1.2", "blocks": BUTTONS}).json()["options"]
    assert options == [{"text": {"type": "plain_text", "text": "ZH"}, "value": "zh"}]


def test_events_and_url_verification(bolt_http: tuple[App, SlackRequestSender]) -> None:
    app, sender = bolt_http
    events: queue.Queue[tuple[str, str | None]] = queue.Queue()

    @app.event("app_mention")
    def mention(event: dict[str, Any], request: Any) -> None:
        events.put((event["text"], request.headers.get("x-slack-retry-num", [None])[0]))

    @app.event("app_home_opened")
    def home(event: dict[str, Any]) -> None:
        events.put((event["tab"], None))

    assert sender.url_verification("abc123").json() == {"challenge": "abc123"}
    assert sender.app_mention("fitness in Taipei", ts="1700000001.000100", retry_num=1).status == 200
    assert sender.app_home_opened("U7").status == 200
    received = {events.get(timeout=5), events.get(timeout=5)}
    assert received == {("<@U0BOT> fitness in Taipei", "1"), ("home", None)}


# -- Socket Mode ------------------------------------------------------------------------------------------


def test_socket_mode_with_the_sdk_builtin_client(standin: SlackStandIn) -> None:
    payloads = SlackPayloads(response_url_factory=standin.response_url)
    received: list[SocketModeRequest] = []
    messages: list[dict[str, Any]] = []

    def on_request(sm_client: Any, req: SocketModeRequest) -> None:
        received.append(req)
        sm_client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload={"seen": True}))

    sm = SocketModeClient(app_token="xapp-1-test", web_client=WebClient(base_url=standin.api_url))
    sm.socket_mode_request_listeners.append(on_request)
    sm.message_listeners.append(lambda _c, message, _raw: messages.append(message))
    try:
        sm.connect()
        event = payloads.event_callback(payloads.app_mention_event("hello"))
        envelope_id = standin.socket_send("events_api", event, retry_attempt=1, retry_reason="timeout")
        ack = standin.socket_wait_ack(envelope_id, timeout=5)
        assert ack == {"envelope_id": envelope_id, "payload": {"seen": True}}
        assert received[0].payload["event"]["text"] == "<@U0BOT> hello" and received[0].retry_attempt == 1
        assert messages[0]["type"] == "hello"

        # Slack's disconnect message makes the client fetch a new URL and reconnect.
        first_open = standin.wait_for("apps.connections.open", timeout=1)
        assert standin.socket_disconnect() == 1
        standin.wait_for("apps.connections.open", lambda c: c is not first_open, timeout=5)
        standin.socket_wait_connected(timeout=5, accepted=2)
        click = payloads.block_actions("pick", "a", message={"blocks": BUTTONS})
        envelope_id = standin.socket_send("interactive", click)
        assert standin.socket_wait_ack(envelope_id, timeout=5)["payload"] == {"seen": True}
        assert standin.calls_to("socket_mode.ack")[-1].params["envelope_id"] == envelope_id
    finally:
        close_socket_mode_client(sm)


def test_socket_mode_with_bolt_socket_mode_handler(standin: SlackStandIn) -> None:
    app = App(client=WebClient(base_url=standin.api_url, token="xoxb-test"))
    payloads = SlackPayloads(response_url_factory=standin.response_url)

    @app.command("/persona")
    def handle(ack: Any, command: dict[str, Any], say: Any, respond: Any, client: WebClient) -> None:
        ack(text="on it")
        say(f"persona for {command['text']}")
        respond("just for you")
        client.reactions_add(channel=command["channel_id"], timestamp=standin.messages("C1")[0]["ts"], name="eyes")

    handler = SocketModeHandler(app, app_token="xapp-1-test")
    try:
        handler.connect()
        envelope_id = standin.socket_send("slash_commands", payloads.slash_command("fitness", channel_id="C1"))
        assert standin.socket_wait_ack(envelope_id, timeout=5)["payload"] == {"text": "on it"}
        standin.wait_for("reactions.add", timeout=5)
        assert standin.calls_to("apps.connections.open")[0].token_type == "app"
        texts = [(m["text"], m["ephemeral_user"]) for m in standin.messages("C1")]
        assert texts == [("persona for fitness", None), ("just for you", "U1")]
    finally:
        close_socket_mode_client(handler.client)


def test_socket_send_without_a_client_fails_clearly(standin: SlackStandIn) -> None:
    with pytest.raises(AssertionError, match="no Socket Mode client connected"):
        standin.socket_send("events_api", {}, timeout=0.05)
    with pytest.raises(ValueError, match="payload_type"):
        standin.socket_send("hello", {})


# -- WebSocket framing ----------------------------------------------------------------------------------------


def _client_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    key = b"\x01\x02\x03\x04"
    size = len(payload)
    if size <= 125:
        head = bytes([0x80 | size])
    elif size <= 0xFFFF:
        head = bytes([0x80 | 126]) + struct.pack("!H", size)
    else:
        head = bytes([0x80 | 127]) + struct.pack("!Q", size)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([(0x80 if fin else 0) | opcode]) + head + key + masked


def test_websocket_connection_reads_masked_frames_and_answers_control_frames() -> None:
    server_side, client_side = socket.socketpair()
    big = "界" * 30_000  # 90 kB: needs the 64-bit length form
    frames = (
        _client_frame(OP_PING, b"p1")
        + _client_frame(OP_TEXT, b"x" * 300)
        + _client_frame(OP_TEXT, big.encode())
        + _client_frame(OP_TEXT, b"ab", fin=False)
        + _client_frame(OP_CONTINUATION, b"cd")
        + _client_frame(OP_CLOSE, struct.pack("!H", 1000))
    )
    writer = threading.Thread(target=client_side.sendall, args=(frames,), daemon=True)
    writer.start()
    try:
        conn = WebSocketConnection(server_side, server_side.makefile("rb"), "t")
        assert conn.receive() == "x" * 300
        assert conn.receive() == big
        assert conn.receive() == "abcd"
        assert conn.receive() is None and conn.closed
        writer.join(timeout=5)
        client_side.settimeout(5)
        assert client_side.recv(4) == encode_frame(0xA, b"p1")  # pong echoes the ping payload
        assert client_side.recv(4) == encode_frame(OP_CLOSE, struct.pack("!H", 1000))
    finally:
        server_side.close()
        client_side.close()


@pytest.mark.parametrize(("size", "header"), [(125, 2), (126, 4), (65_535, 4), (65_536, 10)])
def test_server_frames_are_unmasked_with_the_right_length_form(size: int, header: int) -> None:
    frame = encode_frame(OP_TEXT, b"a" * size)
    assert len(frame) == header + size
    assert frame[0] == 0x81 and frame[1] & 0x80 == 0


def test_reset_of_the_model_and_restart() -> None:
    stand_in = SlackStandIn()
    with stand_in:
        WebClient(base_url=stand_in.api_url, token="xoxb-test").chat_postMessage(channel="C1", text="first run")
        stand_in.reset(model=True)
        assert stand_in.messages("C1") == [] and stand_in.calls == []
    with stand_in:
        posted = WebClient(base_url=stand_in.api_url, token="xoxb-test").chat_postMessage(channel="C1", text="again")
        assert posted["ts"] == "1700000000.000100"
        assert [m["text"] for m in stand_in.messages("C1")] == ["again"]
    assert stand_in.internal_errors == []
