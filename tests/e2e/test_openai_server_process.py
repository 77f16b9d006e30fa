"""The OpenAI-compatible test server in a process of its own, as the bench and `python -m` run it."""

from __future__ import annotations

import subprocess
import sys

from bot.config import Settings
from bot.llm import OpenAIWriter
from bot.models import Demographics, Grounding, GroundingApp, WriterRequest
from tests.support.paths import REPO_ROOT as ROOT


def make_request(names: list[str]) -> WriterRequest:
    apps = [GroundingApp(name=n, category="fitness", score=0.9, weight=1 / len(names)) for n in names]
    return WriterRequest(
        grounding=Grounding(apps=apps),
        demographics=Demographics(age={"25-34": 100.0}, gender={"female": 50.0, "male": 50.0}, coverage=1.0),
        lang="en",
        needs_estimate=False,
        buckets={"age": ["18-24", "25-34", "35-44", "45-54", "55+"], "gender": ["female", "male"]},
    )


def test_server_runs_as_a_separate_process() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server", "--port", "0", "--reject-json-schema"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        settings = Settings(_env_file=None, OPENAI_API_KEY="k", OPENAI_BASE_URL=url + "/v1", PERSONA_LLM_MAX_RETRIES=0)
        writer = OpenAIWriter(settings)
        result = writer.write(make_request(["Keep", "Strava"]))
        assert result.draft.citations.interests == ["Keep", "Strava"]
        assert writer.format_mode == "json_object"
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
