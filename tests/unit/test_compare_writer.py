"""The comparison's written summary: the model's lines when they hold only the comparison's figures, the computed
ones otherwise; the data goes in delimited, and a segment name cannot close the delimiter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.compare import compare_segments
from bot.compare_writer import comparison_figures, with_written_summary
from bot.config import Settings
from bot.figure_check import unsupported_figures
from bot.llm import OpenAIWriter
from bot.service import PersonaService
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.unit.test_llm import make_settings


@pytest.fixture
def llm_service(llm: FakeOpenAIServer, sample_warehouse_file: Path) -> PersonaService:
    llm.reset()
    settings = make_settings(llm, PERSONA_DUCKDB_PATH=str(sample_warehouse_file))
    return PersonaService(settings, PersonaService.from_settings(settings).warehouse, OpenAIWriter(settings))


def _compare(service: PersonaService, lang: str = "en"):
    comparison = compare_segments(service, ["seg_001", "seg_004"], lang)
    return comparison, with_written_summary(comparison, service.writes, service.writer)


def test_sound_written_lines_replace_the_computed_ones(llm: FakeOpenAIServer, llm_service: PersonaService) -> None:
    lines = ["Fitness enthusiasts in Taipei: older and more female, World Gym users.",
             "Mobile gamers: young men who live on Twitch and Discord."]
    llm.enqueue(Reply.json({"apart": lines}))
    computed, written = _compare(llm_service)
    assert written.summary == lines and written.writer == "llm"
    user_prompt = llm.requests[-1].messages[-1]["content"]
    assert "<comparison_data>" in user_prompt and "World Gym" in user_prompt
    assert computed.summary != lines


def test_an_invented_figure_is_sent_back_and_then_falls_back(llm: FakeOpenAIServer,
                                                            llm_service: PersonaService) -> None:
    invented = {"apart": ["Fitness enthusiasts in Taipei: 87.3% women.", "Mobile gamers: 91.6% men."]}
    llm.enqueue(Reply.json(invented), Reply.json(invented))
    computed, written = _compare(llm_service)
    assert llm.calls == 2, "one repair was asked for"
    assert "not in the data" in str(llm.requests[-1].messages)
    assert written.summary == computed.summary and written.writer == "offline" and written.note


def test_the_computed_summary_passes_the_figure_check(settings: Settings) -> None:
    service = PersonaService.from_settings(settings)
    for lang in ("en", "zh-TW", "zh-CN"):
        comparison = compare_segments(service, ["seg_001", "seg_004", "seg_005"], lang)
        figures = comparison_figures(comparison)
        for line in comparison.summary:
            assert unsupported_figures(line, figures, [a.name for s in comparison.segments for a in s.distinctive]
                                       + [s.segment.localized_name(lang) for s in comparison.segments]) == [], line
