"""The card lint over every sample segment in every language, and proof that it catches what it is for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import LANGS, Settings
from bot.models import PersonaResult
from bot.service import PersonaService
from bot.slack.blocks.card import persona_card
from bot.store import PersonaRequest
from tests.support.card_lint import PHRASE_BOUND, card_texts, english_headers, lint, lint_card, worst_phrase
from tests.support.openai_server import FakeOpenAIServer


@pytest.fixture(scope="module")
def sample_personas(sample_warehouse_file: Path) -> list[PersonaResult]:
    """Every sample segment's offline persona in every language."""
    service = PersonaService.from_settings(Settings(PERSONA_DUCKDB_PATH=sample_warehouse_file, _env_file=None))
    return [
        service.run(PersonaRequest(kind="segment", query=segment.id, lang=lang))
        for lang in LANGS
        for segment in service.segments()
    ]


def _with_profile(result: PersonaResult, **fields: str) -> PersonaResult:
    return result.model_copy(update={"profile": result.profile.model_copy(update=fields)})


def test_every_sample_card_passes_the_lint_in_every_language(sample_personas: list[PersonaResult]) -> None:
    assert len(sample_personas) == 45 * len(LANGS)
    assert lint(sample_personas) == []


def test_no_phrase_repeats_across_more_than_the_bound(sample_personas: list[PersonaResult]) -> None:
    worst = worst_phrase(sample_personas)
    assert set(worst) == set(LANGS)
    for _lang, (phrase, share) in worst.items():
        assert phrase and 0 < share <= PHRASE_BOUND


def test_no_raw_id_on_any_card_in_any_language(sample_personas: list[PersonaResult]) -> None:
    for result in sample_personas:
        texts = " ".join(card_texts(persona_card(result, ephemeral=True)))
        for app in result.apps:
            assert f"({app.category})" not in texts or "_" not in (app.category or "")
        assert result.segment is not None and result.segment.id not in texts


def test_offline_drafts_avoid_what_contradicts_their_segment(sample_personas: list[PersonaResult]) -> None:
    ev = [r for r in sample_personas if r.segment and r.segment.name == "EV owners in mainland China"]
    crypto = [r for r in sample_personas if r.segment and r.segment.name.startswith("Crypto")]
    remote = [r for r in sample_personas if r.segment and r.segment.name.startswith("Startup & remote")]
    for result in ev + crypto + remote:
        text = " ".join(result.profile.model_dump().values()).casefold()
        for term in ("fuel price", "油價", "油价", "sticker", "cashback", "返现", "job seeker", "求職", "求职"):
            assert term not in text, (result.segment.id, result.meta.lang, term)


# --- the lint catches what it is for ------------------------------------------------------------------------------


def test_the_lint_flags_a_phrase_repeated_over_the_bound(sample_personas: list[PersonaResult]) -> None:
    filler = "They check their feeds many times a day and share moments as they happen."
    english = [r for r in sample_personas if r.meta.lang == "en"]
    copied = [_with_profile(r, lifestyle=filler) if i % 4 == 0 else r for i, r in enumerate(english)]
    assert any("repeat" in problem and "[en]" in problem for problem in lint(copied))


def test_the_lint_flags_raw_ids_english_headers_contradictions_and_invented_numbers(
    sample_personas: list[PersonaResult],
) -> None:
    ev = next(r for r in sample_personas if r.segment and r.segment.name.startswith("EV") and r.meta.lang == "zh-CN")
    bad = _with_profile(ev, lifestyle="他们每天关注油价。", interests="有 87.5% 的人爱看 food_delivery 的内容。")
    problems = " ".join(lint_card(bad))
    assert "油价" in problems
    assert "87.5%" in problems
    assert "food_delivery" in problems
    assert english_headers(["*Personality*\n他们很自律。"], "zh-TW") == ["Personality"]
    assert english_headers(["*Personality*\nThey are disciplined."], "en") == []


def test_the_lint_runs_on_what_the_llm_path_returns(sample_warehouse_file: Path) -> None:
    """The same per-card lint over personas written through the LLM path, against the local OpenAI-compatible
    server. Its stub answers share one template, so only the per-card checks apply here, not the phrase bound."""
    with FakeOpenAIServer() as server:
        settings = Settings(
            _env_file=None, PERSONA_DUCKDB_PATH=sample_warehouse_file, OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=server.url + "/v1", PERSONA_LLM_MODEL="test-model", PERSONA_LLM_TIMEOUT=5.0,
            PERSONA_LLM_MAX_RETRIES=0,
        )
        service = PersonaService.from_settings(settings)
        results = [
            service.run(PersonaRequest(kind="segment", query=query, lang=lang))
            for lang in LANGS
            for query in ("seg_001", "EV owners", "crypto")
        ]
    assert all(result.meta.writer == "llm" for result in results)
    assert [problem for result in results for problem in lint_card(result)] == []
