"""The CLI is a contract other tools call: exercised as a real subprocess, exit codes and output formats included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.block_limits import violations
from tests.support.dataset_factory import APPS, write_dataset


def run(args: list[str], env_extra: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERSONA_", "OPENAI_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def env(sample_warehouse_file: Path) -> dict[str, str]:
    return {"PERSONA_DUCKDB_PATH": str(sample_warehouse_file)}


def test_segments_table_and_json(env: dict[str, str]) -> None:
    table = run(["segments"], env)
    assert table.returncode == 0, table.stderr
    assert "seg_001" in table.stdout.splitlines()[2]
    data = json.loads(run(["segments", "--format", "json"], env).stdout)
    assert len(data) >= 30
    assert {"id", "name", "size", "top_apps"} <= set(data[0])


def test_persona_json_contract(env: dict[str, str]) -> None:
    proc = run(["persona", "--segment", "seg_001", "--format", "json"], env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["segment"]["id"] == "seg_001"
    assert set(data["profile"]) == {"basic_attributes", "personality", "psychological_state", "interests", "lifestyle"}
    for key in ("apps", "hashtags", "demographics", "source", "coverage", "citations", "meta"):
        assert key in data
    assert {"name", "app_id", "score", "category"} <= set(data["apps"][0])
    assert {"model", "prompt_version", "generated_at", "cached"} <= set(data["meta"])
    for dim in ("age", "gender"):
        assert abs(sum(data["demographics"][dim].values()) - 100) < 0.2
    assert all(tag.startswith("#") for tag in data["hashtags"]["zh"] + data["hashtags"]["en"])


def test_persona_blocks_is_a_valid_slack_payload(env: dict[str, str]) -> None:
    proc = run(["persona", "--segment", "seg_002", "--format", "blocks", "--lang", "zh-CN"], env)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) == {"text", "blocks"}
    assert violations(payload) == []


def test_persona_text_from_stdin_apps(env: dict[str, str]) -> None:
    proc = run(["persona", "--apps", "-", "--lang", "en"], env, stdin="1. 小红书 (92%)\n2. Keep - 0.85\n3. 美团: 80\n")
    assert proc.returncode == 0, proc.stderr
    assert "小红书" in proc.stdout and "Keep" in proc.stdout


def test_unknown_segment_exits_2_with_closest_matches(env: dict[str, str]) -> None:
    proc = run(["persona", "--segment", "fitnes enthusiast taipie qq"], env)
    assert proc.returncode == 2
    assert "Closest matches" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_parse_apps_json(env: dict[str, str]) -> None:
    proc = run(["parse-apps", "小红书 0.92, Keep 0.85, TotallyNewApp"], env)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows[0] == {"name": "小红书", "score": 0.92, "app_id": "xiaohongshu"}
    assert rows[2] == {"name": "TotallyNewApp", "score": None, "app_id": None}
    empty = run(["parse-apps", "-"], env, stdin=" \n")
    assert empty.returncode == 2 and "e.g." in empty.stderr


def test_warehouse_load_validates_everything_first(tmp_path: Path) -> None:
    env = {"PERSONA_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    ok = run(["warehouse", "load", str(write_dataset(tmp_path / "good"))], env)
    assert ok.returncode == 0, ok.stderr
    assert "2 segments" in ok.stdout
    bad = write_dataset(tmp_path / "bad", {"apps.csv": [*APPS, ["zz", "Z", "social", "", "2"]]})
    proc = run(["warehouse", "load", str(bad)], env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "persona-bot: apps.csv, row 6, column 'reach': 2 is outside 0–1"
    # Nothing half-loaded: the previous content is still there.
    segments = json.loads(run(["segments", "--format", "json"], env).stdout)
    assert [s["id"] for s in segments] == ["s1", "s2"]


@pytest.mark.parametrize(
    "args",
    [
        ["persona"],
        ["persona", "--segment", "x", "--apps", "y"],
        ["persona", "--segment", "seg_001", "--lang", "fr"],
        ["warehouse", "load", "/nonexistent/dir"],
        ["nonsense"],
        ["jobs", "retry"],
    ],
)
def test_bad_input_is_one_line_and_nonzero(env: dict[str, str], args: list[str]) -> None:
    proc = run(args, env)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_second_identical_run_is_a_cache_hit_with_redis(env: dict[str, str], tmp_path: Path) -> None:
    from tests.support.redis_server import running_redis

    with running_redis(tmp_path / "redis") as server:
        shared = {**env, "REDIS_URL": server.url}
        first = json.loads(run(["persona", "--segment", "seg_003", "--format", "json"], shared).stdout)
        second = json.loads(run(["persona", "--segment", "seg_003", "--format", "json"], shared).stdout)
        fresh = json.loads(run(["persona", "--segment", "seg_003", "--format", "json", "--refresh"], shared).stdout)
        stats = run(["cache", "stats", "--format", "json"], shared)
    assert first["meta"]["cached"] is False
    assert second["meta"]["cached"] is True and second["id"] == first["id"]
    assert fresh["meta"]["cached"] is False and fresh["id"] != first["id"]
    assert stats.returncode == 0, stats.stderr
    # Without Redis each run is its own process: nothing is shared, so nothing is a hit.
    again = json.loads(run(["persona", "--segment", "seg_003", "--format", "json"], env).stdout)
    assert again["meta"]["cached"] is False


@pytest.mark.parametrize("args", [["worker"], ["jobs"], ["jobs", "retry", "--all"]])
def test_worker_and_jobs_without_redis_say_why_in_one_line_and_exit_2(env: dict[str, str], args: list[str]) -> None:
    proc = run(args, env)
    assert proc.returncode == 2
    assert "REDIS_URL" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# --- serve: settings checked before the server starts ------------------------------------------------------------


def test_serve_without_a_signing_secret_is_one_line_and_exit_2(env: dict[str, str]) -> None:
    proc = run(["serve", "--port", "0"], {**env, "SLACK_BOT_TOKEN": "xoxb-test-token"})
    assert proc.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_serve_with_a_token_slack_refuses_is_one_line_and_no_secret(env: dict[str, str], tmp_path: Path) -> None:
    from bot.devtools import SlackStandIn

    with SlackStandIn() as standin:
        proc = run(["serve", "--port", "0"], {**env, "SLACK_API_URL": standin.api_url,
                                              "SLACK_BOT_TOKEN": "not-a-slack-token-12345",
                                              "SLACK_SIGNING_SECRET": "hush-hush-secret"})
    assert proc.returncode == 2, proc.stderr
    assert "Slack did not accept SLACK_BOT_TOKEN" in proc.stderr and "invalid_auth" in proc.stderr
    assert "Traceback" not in proc.stderr and "hush-hush-secret" not in proc.stderr


def test_parse_apps_shows_merged_names(env: dict[str, str]) -> None:
    proc = run(["parse-apps", "RED 0.9, Keep 0.85, 小紅書 0.8, Little Red Book"], env)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows == [
        {"name": "RED", "score": 0.9, "app_id": "xiaohongshu", "merged_from": ["小紅書", "Little Red Book"]},
        {"name": "Keep", "score": 0.85, "app_id": "keep"},
    ]


def test_unknown_only_paste_exits_2_naming_the_apps(env: dict[str, str]) -> None:
    proc = run(["persona", "--apps", "TotallyNewApp 0.9, Instagarmmmx"], env)
    assert proc.returncode == 2
    assert "TotallyNewApp" in proc.stderr and "did you mean Instagram?" in proc.stderr
    assert "/persona help" in proc.stderr and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1


def test_out_of_range_scores_exit_2_naming_them(env: dict[str, str]) -> None:
    for args in (["persona", "--apps", "小红书 1.5, Keep -3"], ["parse-apps", "小红书 1.5, Keep -3"]):
        proc = run(args, env)
        assert proc.returncode == 2, args
        assert "小红书 1.5" in proc.stderr and "Keep -3" in proc.stderr
        assert proc.stdout == "" and "Traceback" not in proc.stderr


def test_pasted_persona_json_names_closest_segments(env: dict[str, str]) -> None:
    paste = "Nike Run Club 0.9, World Gym 0.85, MyFitnessPal 0.8, Nike Training Club 0.7"
    proc = run(["persona", "--apps", paste, "--format", "json"], env)
    assert proc.returncode == 0, proc.stderr
    closest = json.loads(proc.stdout)["closest_segments"]
    assert closest and closest[0]["name"] == "Fitness enthusiasts in Taipei"
    assert {"id", "name", "name_zh_tw", "name_zh_cn", "shared", "of", "similarity"} == set(closest[0])
    assert closest[0]["name_zh_tw"] == "台北健身愛好者" and closest[0]["name_zh_cn"] == "台北健身爱好者"
    text = run(["persona", "--apps", paste], env)
    assert text.stdout.startswith("Pasted apps, closest to Fitness enthusiasts in Taipei\n")


# --- follow-ups ----------------------------------------------------------------------------------------------------


def test_followup_competitor_json_names_the_markets_real_rivals(env: dict[str, str]) -> None:
    proc = run(["followup", "--segment", "seg_020", "--kind", "competitor", "--product", "foodpanda",
                "--format", "json"], env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["kind"] == "competitor" and report["product"] == "foodpanda"
    text = "\n".join([report["summary"], *report["points"], *report["next_actions"]])
    assert "Uber Eats" in text
    assert not any(name in text for name in ("饿了么", "美团", "叮咚买菜", "盒马"))
    assert report["next_actions"]


def test_followup_text_and_blocks_are_the_whole_answer(env: dict[str, str]) -> None:
    args = ["followup", "--segment", "seg_001", "--kind", "partnership", "--lang", "zh-TW"]
    as_json = json.loads(run([*args, "--format", "json"], env).stdout)
    text = run(args, env)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("合作點子")
    for line in [*as_json["points"], *as_json["next_actions"]]:
        assert line in text.stdout
    messages = json.loads(run([*args, "--format", "blocks"], env).stdout)
    assert messages and all(violations(m) == [] for m in messages)


def test_followup_asks_for_what_the_kind_needs(env: dict[str, str]) -> None:
    missing = run(["followup", "--segment", "seg_020", "--kind", "competitor"], env)
    assert missing.returncode == 2 and "--product" in missing.stderr and "Traceback" not in missing.stderr
    unknown = run(["followup", "--segment", "seg_020", "--kind", "nonsense"], env)
    assert unknown.returncode == 2 and "partnership" in unknown.stderr
    no_segment = run(["followup", "--segment", "no such audience", "--kind", "partnership"], env)
    assert no_segment.returncode == 2 and "Traceback" not in no_segment.stderr
