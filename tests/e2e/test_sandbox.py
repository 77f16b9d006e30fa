"""`persona-bot dev`: the sandbox page's server, the requests it signs for the real bot, the CLI, and the page
itself in a real headless Chromium (marked `browser`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from bot.devtools.sandbox import Sandbox
from bot.devtools.sandbox import workspace as ws
from bot.devtools.sandbox.bot_process import SANDBOX_BOT_TOKEN, bot_environment
from bot.devtools.sandbox.input_state import InvalidInput, state_values
from bot.devtools.sandbox.typed_text import message_text, split_command
from bot.devtools.slack_requests import SlackRequestSender
from tests.support.openai_server import FakeOpenAIServer
from tests.support.paths import REPO_ROOT
from tests.support.processes import OWN_GROUP, alive, children, free_port, stop_process
from tests.support.redis_server import RedisServer
from tests.support.slack_harness import llm_env

BROWSER_DIR = REPO_ROOT / "tests" / "browser"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "sandbox"
CHROMIUM = Path("/usr/bin/chromium")
# Seconds `persona-bot dev` may take to stop, bot included, on a busy machine.
STOP_BOUND = 20
State = dict[str, Any]


# --- helpers -----------------------------------------------------------------------------------------------------


def request(base: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
            raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    all_headers.update(headers or {})
    req = urllib.request.Request(base + path, data=data, headers=all_headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def act(base: str, action: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    code, _, data = request(base, f"/api/{action}", body)
    answer = json.loads(data)
    assert code == status, answer
    return answer


def wait_state(base: str, predicate: Callable[[State], Any], timeout: float = 20.0) -> State:
    """The page's long-poll, until `predicate` holds."""
    deadline = time.monotonic() + timeout
    revision = -1
    state: State = {}
    while time.monotonic() < deadline:
        _, _, data = request(base, f"/api/state?after={revision}")
        state = json.loads(data)
        if predicate(state):
            return state
        revision = state["revision"]
    raise AssertionError(f"the page never showed what was expected; last state: {json.dumps(state)[:3000]}")


def channel_messages(state: State, channel: str = ws.CHANNEL_ID) -> list[dict[str, Any]]:
    return state["messages"][channel]


def action_ids(message: dict[str, Any]) -> set[str]:
    actions = [b for b in message.get("blocks", []) if b["type"] == "actions"]
    return {e.get("action_id") for b in actions for e in b.get("elements", [])}


def is_card(message: dict[str, Any]) -> bool:
    return "persona_partnership" in action_ids(message)


def find(messages: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    return next((m for m in messages if predicate(m)), None)


def section_texts(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message.get("blocks", []) if b["type"] == "section" and b.get("text")]


# --- the sandbox, in-process, around the real bot process --------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, sample_warehouse_file: Path) -> Iterator[Sandbox]:
    tmp = tmp_path_factory.mktemp("sandbox")
    env = {**os.environ, "HOME": str(tmp / "home"), "PERSONA_DUCKDB_PATH": str(sample_warehouse_file)}
    with (tmp / "bot.log").open("wb") as log, Sandbox(port=0, env=env, bot_output=log) as running:
        yield running


@pytest.fixture
def base(sandbox: Sandbox) -> str:
    return sandbox.url.rstrip("/")


def test_the_page_and_its_scripts_are_served_with_a_strict_policy(base: str) -> None:
    status, headers, page = request(base, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<script type="module" src="/static/app.js">' in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for name in ("app.js", "agent.js", "blockkit.js", "mrkdwn.js", "sandbox.css"):
        status, headers, content = request(base, f"/static/{name}")
        assert status == 200 and content, name
    assert headers["Content-Type"].startswith("text/css")
    assert request(base, "/static/../sandbox.py")[0] == 404
    assert request(base, "/static/nothing.js")[0] == 404


def test_only_this_machines_names_may_drive_the_sandbox(base: str) -> None:
    # A page on another site that resolves its name to 127.0.0.1 sends its own Host header.
    status, _, body = request(base, "/api/type", {"channel": ws.CHANNEL_ID, "text": "hi"},
                              headers={"Host": "attacker.example"})
    assert status == 403 and b"Open the sandbox at" in body


def test_bad_input_gets_a_friendly_message(base: str) -> None:
    assert act(base, "type", {"channel": ws.CHANNEL_ID, "text": "   "}, 400)["error"] == (
        "Type a message or a command first."
    )
    assert "does not exist" in act(base, "type", {"channel": "C0NOPE", "text": "hi"}, 404)["error"]
    assert "too long" in act(base, "type", {"channel": ws.CHANNEL_ID, "text": "/persona " + "x" * 5000}, 400)["error"]
    assert "gone" in act(base, "click", {"channel": ws.CHANNEL_ID, "ts": "1.000001", "action_id": "x"}, 404)["error"]
    assert act(base, "nothing", {}, 404)["error"] == "Not found."
    status, _, body = request(base, "/api/type", raw=b"{not json")
    assert status == 400 and json.loads(body)["error"] == "The request body is not valid JSON."
    status, _, body = request(base, "/api/type", raw=b"text=hi", headers={"Content-Type": "text/plain"})
    assert status == 415
    # Slack's own answer to a command the workspace does not have.
    notice = act(base, "type", {"channel": ws.CHANNEL_ID, "text": "/weather taipei"})["notice"]
    assert notice.startswith("/weather is not a valid command.")


def test_the_bot_accepts_the_sandboxs_signature_and_no_other(sandbox: Sandbox) -> None:
    assert sandbox.bot is not None and sandbox.actions is not None
    events = f"{sandbox.bot.url}/slack/events"
    forged = SlackRequestSender(events, "not-the-secret").slash_command("help", channel_id=ws.CHANNEL_ID)
    assert forged.status == 401
    body, content_type = sandbox.actions.sender.build_slash_command("help", channel_id=ws.CHANNEL_ID)
    assert sandbox.actions.sender.post(body, content_type).status == 200


def test_a_slash_command_card_is_ephemeral_and_share_posts_it_to_the_channel(base: str) -> None:
    assert act(base, "type", {"channel": ws.CHANNEL_ID, "text": "/persona fitness"}) == {"ok": True}
    state = wait_state(base, lambda s: find(channel_messages(s), lambda m: is_card(m) and m["ephemeral_user"]))
    card = find(channel_messages(state), lambda m: is_card(m) and m["ephemeral_user"])
    assert card is not None and card["ephemeral_user"] == ws.USER_ID
    assert card["blocks"][0]["type"] == "header" and "Fitness" in card["blocks"][0]["text"]["text"]

    act(base, "click", {"channel": ws.CHANNEL_ID, "ts": card["ts"], "action_id": "persona_share"})
    state = wait_state(base, lambda s: find(channel_messages(s), lambda m: is_card(m) and not m["ephemeral_user"]))
    shared = find(channel_messages(state), lambda m: is_card(m) and not m["ephemeral_user"])
    assert shared is not None and "persona_share" not in action_ids(shared)


def share_and_ask_for_partnerships(base: str, segment: str) -> tuple[dict[str, Any], Callable[..., Any]]:
    """/persona, Share, then Partnership ideas on the shared card; the card and a finder of its thread's replies."""
    act(base, "type", {"channel": ws.CHANNEL_ID, "text": f"/persona {segment}"})
    state = wait_state(base, lambda s: find(channel_messages(s), lambda m: is_card(m) and segment in m["text"]
                                             and m["ephemeral_user"]))
    card = find(channel_messages(state), lambda m: is_card(m) and segment in m["text"] and m["ephemeral_user"])
    assert card is not None
    act(base, "click", {"channel": ws.CHANNEL_ID, "ts": card["ts"], "action_id": "persona_share"})

    def shared(s: State) -> dict[str, Any] | None:
        return find(channel_messages(s), lambda m: is_card(m) and segment in m["text"] and not m["ephemeral_user"])

    public = shared(wait_state(base, shared))
    assert public is not None
    act(base, "click", {"channel": ws.CHANNEL_ID, "ts": public["ts"], "action_id": "persona_partnership"})
    # The optional product modal: left empty, the ideas suit any client.
    state = wait_state(base, lambda s: [m for m in s["modals"] if m["callback_id"] == "partnership_modal"])
    view = [m for m in state["modals"] if m["callback_id"] == "partnership_modal"][-1]
    act(base, "submit", {"view_id": view["id"], "values": {"product_block": {"product_input": ""}}})

    def reply(s: State, heading: str) -> dict[str, Any] | None:
        return find(channel_messages(s), lambda m: m["thread_ts"] == public["ts"] and m["ts"] != public["ts"]
                    and any(t.startswith(heading) for t in section_texts(m)))

    assert reply(wait_state(base, lambda s: reply(s, "*Partnership ideas*")), "*Partnership ideas*")
    return public, reply


def test_partnership_and_competitor_answer_in_the_shared_cards_thread(base: str) -> None:
    public, reply = share_and_ask_for_partnerships(base, "gamers")

    act(base, "click", {"channel": ws.CHANNEL_ID, "ts": public["ts"], "action_id": "persona_competitor"})
    state = wait_state(base, lambda s: s["modals"])
    view = state["modals"][-1]
    assert view["callback_id"] == "competitor_modal"
    answer = act(base, "submit", {"view_id": view["id"],
                                  "values": {"product_block": {"product_input": "Protein & <shake>"}}})
    assert answer == {"ok": True}
    state = wait_state(base, lambda s: not s["modals"] and reply(s, "*Competitor analysis"))
    analysis = reply(state, "*Competitor analysis")
    assert analysis is not None
    # The product went through the app's own escaping and back: the page shows it as typed.
    assert "Protein &amp; &lt;shake&gt;" in section_texts(analysis)[0]


def test_with_redis_the_sandbox_runs_a_worker_that_answers_cards_and_follow_ups(
        tmp_path: Path, sample_warehouse_file: Path, redis_server: RedisServer) -> None:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PERSONA_DUCKDB_PATH": str(sample_warehouse_file),
           "REDIS_URL": redis_server.url, "PERSONA_LOG_FORMAT": "json"}
    with (tmp_path / "bot.log").open("wb") as log, Sandbox(port=0, env=env, bot_output=log) as running:
        assert running.worker is not None
        share_and_ask_for_partnerships(running.url.rstrip("/"), "gamers")
    # The web process queued both; the worker ran them, under the request ids the web process logged.
    lines = [json.loads(line) for line in (tmp_path / "bot.log").read_text().splitlines() if line.startswith("{")]
    queued = {(e["request_id"], e["flow"]) for e in lines if e["event"] == "job_enqueued"}
    ran = {(e["request_id"], e["flow"]) for e in lines if e["event"] == "job_outcome" and e["outcome"] == "delivered"}
    assert {flow for _, flow in queued} == {"deliver", "followup"} and queued <= ran


def test_help_in_the_ack_and_the_picker_modal_with_its_typeahead(base: str) -> None:
    act(base, "type", {"channel": ws.CHANNEL_ID, "text": "/persona"})

    def help_message(s: State) -> dict[str, Any] | None:
        return find(channel_messages(s), lambda m: "persona_open_modal" in action_ids(m))

    message = help_message(wait_state(base, help_message))
    assert message is not None and message["ephemeral_user"] == ws.USER_ID
    act(base, "click", {"channel": ws.CHANNEL_ID, "ts": message["ts"], "action_id": "persona_open_modal"})
    view = wait_state(base, lambda s: s["modals"])["modals"][-1]
    assert view["callback_id"] == "persona_modal"

    errors = act(base, "submit", {"view_id": view["id"], "values": {}})["errors"]
    assert "apps_block" in errors
    assert wait_state(base, lambda s: s["modals"])["modals"][-1]["id"] == view["id"]  # still open

    options = act(base, "suggest", {"view_id": view["id"], "action_id": "segment_picker", "value": "parents"})
    parents = next(o for o in options["options"] if "parents" in o["text"]["text"])
    chosen = {"value": parents["value"], "text": parents["text"]["text"]}
    wrong = act(base, "submit", {"view_id": view["id"], "values": {"lang_block": {"lang_select": "fr"}}}, 400)
    assert "'fr' is not one of the options" in wrong["error"]
    act(base, "submit", {"view_id": view["id"], "values": {"segment_block": {"segment_picker": chosen}}})
    state = wait_state(base, lambda s: not s["modals"] and find(
        channel_messages(s), lambda m: is_card(m) and parents["text"]["text"] in m["blocks"][0]["text"]["text"]))
    assert state["modals"] == []
    assert "closed" in act(base, "submit", {"view_id": view["id"], "values": {}}, 404)["error"]


def test_a_dm_and_a_mention_reach_the_bot_as_events_and_it_answers(base: str) -> None:
    act(base, "type", {"channel": ws.DM_ID, "text": "fitness"})
    state = wait_state(base, lambda s: find(channel_messages(s, ws.DM_ID), is_card))
    assert find(channel_messages(state, ws.DM_ID), lambda m: m["user"] == ws.USER_ID and m["text"] == "fitness")

    act(base, "type", {"channel": ws.CHANNEL_ID, "text": "@persona-bot pet owners"})

    def answered(s: State) -> dict[str, Any] | None:
        said = find(channel_messages(s), lambda m: m["user"] == ws.USER_ID and "pet owners" in m["text"])
        return said and find(channel_messages(s), lambda m: m["thread_ts"] == said["ts"] and is_card(m))

    state = wait_state(base, answered)
    said = find(channel_messages(state), lambda m: m["user"] == ws.USER_ID and "pet owners" in m["text"])
    assert said is not None and said["text"] == "<@U0BOT> pet owners"


def test_app_home_is_published_when_the_tab_opens_and_its_select_works(base: str) -> None:
    act(base, "home", {})
    home = wait_state(base, lambda s: s["home"])["home"]
    assert home["type"] == "home" and home["blocks"][0]["type"] == "header"

    def language(s: State) -> str | None:
        block = find(s["home"]["blocks"], lambda b: b.get("block_id") == "home_lang")
        return block["elements"][0]["initial_option"]["value"] if block else None

    try:
        act(base, "view_click", {"view_id": home["id"], "action_id": "home_set_lang", "value": "zh-TW"})
        assert wait_state(base, lambda s: language(s) == "zh-TW")["home"]["id"] == home["id"]
        assert act(base, "view_click", {"view_id": home["id"], "action_id": "home_set_lang", "value": "xx"},
                   400)["error"] == "'xx' is not one of the options."
    finally:
        act(base, "view_click", {"view_id": home["id"], "action_id": "home_set_lang", "value": "en"})
        wait_state(base, lambda s: language(s) == "en")


# --- pure parts ----------------------------------------------------------------------------------------------------


def test_the_bot_gets_the_sandboxs_slack_settings_and_keeps_the_rest() -> None:
    mine = {"OPENAI_API_KEY": "sk-mine", "PERSONA_DEFAULT_LANG": "zh-TW", "REDIS_URL": "redis://x",
            "SLACK_BOT_TOKEN": "xoxb-production", "SLACK_APP_TOKEN": "xapp-production",
            "PERSONA_ALLOWED_TEAMS": "TPROD", "PATH": "/usr/bin"}
    env = bot_environment(mine, api_url="http://127.0.0.1:9999/api/", signing_secret="fresh")
    assert {k: env[k] for k in ("OPENAI_API_KEY", "PERSONA_DEFAULT_LANG", "REDIS_URL", "PATH")} == {
        "OPENAI_API_KEY": "sk-mine", "PERSONA_DEFAULT_LANG": "zh-TW", "REDIS_URL": "redis://x", "PATH": "/usr/bin"}
    assert env["SLACK_API_URL"] == "http://127.0.0.1:9999/api/" and env["SLACK_SIGNING_SECRET"] == "fresh"
    assert env["SLACK_BOT_TOKEN"] == SANDBOX_BOT_TOKEN and "SLACK_APP_TOKEN" not in env
    assert env["PERSONA_ALLOWED_TEAMS"] == "" and env["PERSONA_ALLOWED_CHANNELS"] == ""
    assert env["PERSONA_LOG_FORMAT"] == "text"
    assert bot_environment({"PERSONA_LOG_FORMAT": "json"}, api_url="u", signing_secret="s")["PERSONA_LOG_FORMAT"] == (
        "json"
    )


def test_typed_text_reaches_the_app_as_slack_escapes_it() -> None:
    assert message_text("@persona-bot H&M <b>", "U0BOT") == "<@U0BOT> H&amp;M &lt;b&gt;"
    assert message_text("mail me@persona-bot.example", "U0BOT") == "mail me@persona-bot.example"
    assert split_command("/Persona  fitness enthusiasts ") == ("/persona", "fitness enthusiasts")
    assert split_command("/persona\n小红书 0.9\nKeep 0.8") == ("/persona", "小红书 0.9\nKeep 0.8")
    assert split_command("fitness /persona") is None


def test_view_state_has_slacks_shapes_for_every_input() -> None:
    options = [{"text": {"type": "plain_text", "text": "English"}, "value": "en"},
               {"text": {"type": "plain_text", "text": "繁體中文"}, "value": "zh-TW"}]
    blocks = [
        {"type": "input", "block_id": "a", "element": {"type": "plain_text_input", "action_id": "t"}},
        {"type": "input", "block_id": "b", "element": {"type": "static_select", "action_id": "s", "options": options,
                                                       "initial_option": options[0]}},
        {"type": "input", "block_id": "c", "element": {"type": "external_select", "action_id": "x"}},
        {"type": "section", "block_id": "d", "text": {"type": "mrkdwn", "text": "no state"}},
    ]
    assert state_values(blocks, {"a": {"t": "hello"}, "c": {"x": {"value": "seg_002", "text": "New parents"}}}) == {
        "a": {"t": {"type": "plain_text_input", "value": "hello"}},
        "b": {"s": {"type": "static_select", "selected_option": options[0]}},
        "c": {"x": {"type": "external_select", "selected_option": {
            "text": {"type": "plain_text", "text": "New parents", "emoji": True}, "value": "seg_002"}}},
    }
    empty = state_values(blocks, {"a": {"t": ""}, "b": {"s": None}})
    assert empty["a"]["t"]["value"] is None and empty["b"]["s"]["selected_option"] is None
    with pytest.raises(InvalidInput):
        state_values(blocks, {"b": {"s": "fr"}})
    with pytest.raises(InvalidInput):
        state_values(blocks, {"c": {"x": "not an option object"}})


def test_the_sandbox_workspace_installs_what_the_manifest_declares() -> None:
    manifest = yaml.safe_load((REPO_ROOT / "manifest.yml").read_text(encoding="utf-8"))
    features = manifest["features"]
    assert list(ws.COMMANDS) == [c["command"] for c in features["slash_commands"]]
    assert [(s.callback_id, s.name) for s in ws.MESSAGE_SHORTCUTS] == [
        (s["callback_id"], s["name"]) for s in features["shortcuts"] if s["type"] == "message"
    ]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == ws.BOT_EVENTS


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs)")
def test_the_mrkdwn_renderer_in_node() -> None:
    result = subprocess.run(["node", "--test", str(BROWSER_DIR / "mrkdwn.test.mjs")], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "TZ": "UTC"}, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the command -----------------------------------------------------------------------------------------------------


def _dev_env(tmp: Path, warehouse: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HOME": str(tmp / "home"), "PERSONA_DUCKDB_PATH": str(warehouse), **extra}


class DevCommand:
    """`persona-bot dev --no-browser` as a person runs it, in its own process."""

    def __init__(self, tmp: Path, warehouse: Path, port: int, **env: str) -> None:
        self.port = port
        self.out, self.log = tmp / "dev.out", tmp / "dev.log"
        with self.out.open("wb") as out, self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "dev", "--port", str(port), "--no-browser"],
                stdout=out, stderr=err, env=_dev_env(tmp, warehouse, **env), cwd=tmp, process_group=OWN_GROUP,
            )
        self.first_line = self._first_line()
        self.bot_pids = children(self.proc.pid)

    def _first_line(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.out.read_text(errors="replace")
            if "\n" in text or self.proc.poll() is not None:
                return text.split("\n", 1)[0]
            time.sleep(0.1)
        return ""

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGINT) -> int:
        """`sig` to the command alone, as Ctrl+C or `kill` would send it; it must be done within the bound."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=STOP_BOUND)

    def close(self) -> None:
        """Whatever is left of the command and of the bot it started, process groups included."""
        stop_process(self.proc, signal.SIGINT, also=self.bot_pids)


@pytest.fixture
def dev(tmp_path: Path, sample_warehouse_file: Path) -> Iterator[DevCommand]:
    command = DevCommand(tmp_path, sample_warehouse_file, free_port())
    try:
        assert command.first_line.startswith(f"persona-bot sandbox: http://127.0.0.1:{command.port}/"), (
            command.output()
        )
        yield command
    finally:
        command.close()


def test_dev_prints_the_url_serves_the_page_and_ctrl_c_stops_the_bot_too(dev: DevCommand) -> None:
    assert "offline writer" in dev.first_line and "in-process cache" in dev.first_line
    assert request(f"http://127.0.0.1:{dev.port}", "/")[0] == 200
    assert dev.bot_pids, "the bot runs as a child process of persona-bot dev"
    assert dev.stop(signal.SIGINT) == 0
    assert not any(alive(pid) for pid in dev.bot_pids), dev.output()


def test_dev_stops_the_bot_on_sigterm_as_well(dev: DevCommand) -> None:
    assert dev.bot_pids
    assert dev.stop(signal.SIGTERM) == 0
    assert not any(alive(pid) for pid in dev.bot_pids), dev.output()


def test_a_taken_port_is_one_friendly_line_and_exit_2(tmp_path: Path, sample_warehouse_file: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "bot.cli", "dev", "--port", str(port), "--no-browser"],
                                capture_output=True, text=True, timeout=60,
                                env=_dev_env(tmp_path, sample_warehouse_file))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"persona-bot: port {port} is already in use; try `persona-bot dev --port {port + 1}`"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_port_that_is_not_one_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["dev", "--port", port])
    assert exit_info.value.code == 2
    assert f"'{port}' is not a port number (1-65535)" in capsys.readouterr().err


# --- the page in a real browser ----------------------------------------------------------------------------------


def _node_major() -> int:
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(version.strip().lstrip("v").split(".")[0] or 0)


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return "Chromium is not installed (apt-get install chromium; scripts/test.sh does this)"
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm; scripts/test.sh does this)"
    if _node_major() < 20:
        return "playwright-core needs Node 20 or newer"
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed (npm ci --prefix tests/browser; scripts/test.sh does this)"
    return None


@pytest.fixture
def dev_with_model(tmp_path: Path, sample_warehouse_file: Path, llm: FakeOpenAIServer) -> Iterator[DevCommand]:
    """The sandbox with a language model (the local OpenAI-compatible server), so answers stream."""
    command = DevCommand(tmp_path, sample_warehouse_file, free_port(), **llm_env(llm.url))
    try:
        assert "LLM" in command.first_line, command.output()
        yield command
    finally:
        command.close()


@pytest.mark.browser
def test_the_page_in_headless_chromium(dev_with_model: DevCommand) -> None:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    dev = dev_with_model
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    result = subprocess.run(
        ["node", str(BROWSER_DIR / "sandbox_flow.mjs"), "--url", f"http://127.0.0.1:{dev.port}/",
         "--out", str(ARTIFACTS), "--chromium", str(CHROMIUM)],
        capture_output=True, text=True, timeout=180, cwd=REPO_ROOT,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- persona-bot dev ---\n{dev.output()}"
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert {"04-partnership-modal.png", "05-partnership-thread.png"} <= set(shots) and "failure.png" not in shots, shots
