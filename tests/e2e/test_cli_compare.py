"""`persona-bot compare` and `persona --format pptx` as real subprocesses: formats, files and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pptx import Presentation

from tests.e2e.test_cli import run
from tests.support.block_limits import violations


@pytest.fixture
def env(sample_warehouse_file: Path) -> dict[str, str]:
    return {"PERSONA_DUCKDB_PATH": str(sample_warehouse_file)}


def test_compare_text_json_and_blocks(env: dict[str, str]) -> None:
    text = run(["compare", "fitness", "gamers", "--lang", "zh-TW"], env)
    assert text.returncode == 0, text.stderr
    assert "台北健身愛好者" in text.stdout and "加權 Jaccard" in text.stdout
    data = json.loads(run(["compare", "seg_001", "seg_004", "--format", "json"], env).stdout)
    assert [s["segment"]["id"] for s in data["segments"]] == ["seg_001", "seg_004"]
    assert data["overlap_measure"] == "weighted_jaccard_confidence" and len(data["summary"]) == 2
    blocks = run(["compare", "seg_001", "seg_004", "seg_005", "--format", "blocks"], env)
    assert violations(json.loads(blocks.stdout)) == []


@pytest.mark.parametrize(("args", "says"), [
    (["compare", "fitness"], "2 to 4 segments"),
    (["compare", "fitness", "gamerz club"], "Closest matches: Mobile gamers"),
    (["persona", "--segment", "fitness", "--format", "pptx"], "--output"),
])
def test_bad_compare_or_slide_input_is_one_line_and_exit_2(env: dict[str, str], args: list[str], says: str) -> None:
    proc = run(args, env)
    assert proc.returncode == 2
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_persona_slide_is_written_and_opens(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "fitness.pptx"
    proc = run(["persona", "--segment", "seg_001", "--lang", "zh-CN", "--format", "pptx", "--output", str(out)], env)
    assert proc.returncode == 0, proc.stderr
    deck = Presentation(io.BytesIO(out.read_bytes()))
    assert sum(shape.has_chart for shape in deck.slides[0].shapes) == 2
