from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.dataset import read_dataset
from bot.errors import EmptyAppList, LLMError, NoKnownApps, ScoresOutOfRange, UnknownSegment, llm_note
from bot.i18n import t
from bot.models import PersonaDraft, WriterRequest
from bot.offline_writer import OfflineWriter
from bot.service import PersonaService
from bot.store import PersonaRequest
from bot.warehouse.duckdb import DuckDBWarehouse
from bot.writers import WriterResult
from tests.support.dataset_factory import write_dataset, write_dataset_v2


@pytest.fixture
def small_service(tmp_path: Path) -> PersonaService:
    wh = DuckDBWarehouse.open(tmp_path / "w.duckdb")
    wh.load(read_dataset(write_dataset(tmp_path / "ds")))
    settings = Settings(PERSONA_DUCKDB_PATH=tmp_path / "w.duckdb", _env_file=None)
    return PersonaService(settings, wh, OfflineWriter())


def test_find_segment_by_id_name_alias_and_fragment(small_service: PersonaService) -> None:
    assert small_service.find_segment("s1").id == "s1"
    assert small_service.find_segment("gym goers").id == "s1"
    assert small_service.find_segment("ＧＹＭ").id == "s1"  # full-width
    assert small_service.find_segment("吃貨").id == "s2"
    assert small_service.find_segment("吃货").id == "s2"
    assert small_service.find_segment("Foodie").id == "s2"


def test_unknown_segment_offers_the_closest(small_service: PersonaService) -> None:
    with pytest.raises(UnknownSegment) as err:
        small_service.find_segment("gym goerz and runners")
    assert err.value.suggestions[0] == ("s1", "Gym goers")
    assert err.value.exit_code == 2
    with pytest.raises(UnknownSegment):
        small_service.find_segment("zzzzqqqq")


def test_segment_persona_is_grounded_in_data(small_service: PersonaService) -> None:
    result = small_service.run(PersonaRequest(kind="segment", query="s1", lang="en"))
    assert [a.app_id for a in result.apps] == ["keep", "xhs", "nodata"]
    # 0.9 + 0.6 of 1.8 confidence mass has audience data.
    assert result.coverage == pytest.approx(1.5 / 1.8, abs=1e-3)
    assert result.source == "mixed"
    assert set(result.demographics.age) == {"18-24", "25-34", "35+"}
    assert sum(result.demographics.gender.values()) == pytest.approx(100, abs=0.05)
    # Both data apps skew female relative to a 50/50 baseline.
    assert result.demographics.gender["female"] > 55
    assert result.meta.writer == "offline" and result.meta.cached is False
    input_names = {a.name for a in result.apps}
    for cited in result.citations.model_dump().values():
        assert set(cited) <= input_names


def test_pasted_list_keeps_unknown_apps(small_service: PersonaService) -> None:
    paste = "小紅書 92%\nSomeNewApp 80%\nmeituan 0.5"
    result = small_service.run(PersonaRequest(kind="apps", query=paste, lang="zh-TW"))
    expected = [("小紅書", "xhs"), ("SomeNewApp", None), ("meituan", "meituan")]
    assert [(a.name, a.app_id) for a in result.apps] == expected
    assert result.segment is None
    assert 0 < result.coverage < 1
    assert result.meta.lang == "zh-TW"


def test_nothing_recognisable_is_a_friendly_error(small_service: PersonaService) -> None:
    with pytest.raises(EmptyAppList) as err:
        small_service.ground_apps("   \n ,,, \n")
    assert "e.g." in str(err.value)


def test_long_input_is_capped_and_flagged(small_service: PersonaService) -> None:
    text = "\n".join(f"App number {i}" for i in range(500))
    grounding = small_service.ground_apps(text)
    assert grounding.truncated
    assert len(grounding.apps) <= small_service.settings.max_input_apps


def test_low_coverage_is_an_estimate(small_service: PersonaService) -> None:
    result = small_service.run(PersonaRequest(kind="apps", query="Niche Tracker, Unknown One, Unknown Two", lang="en"))
    assert result.coverage == 0
    assert result.source == "ai_estimate"
    assert sum(result.demographics.age.values()) == pytest.approx(100, abs=0.05)


class _FailingWriter:
    kind = "llm"
    model_name = "test-model"

    def write(self, request: WriterRequest) -> WriterResult:
        raise LLMError("timeout", seconds="30")


class _SloppyWriter:
    """Writes what a careless model might: invented citations, a wrong estimate, too many tags."""

    kind = "llm"
    model_name = "sloppy-model"

    def write(self, request: WriterRequest) -> WriterResult:
        base = OfflineWriter().write(request).draft.model_dump()
        base["citations"]["interests"] = ["Keep", "TikTok", "keep", "Made Up App"]
        base["hashtags"]["en"] = ["#a", "#a", "b c", "#d", "#e"]
        base["demographics_estimate"] = {"age": {"18-24": 3, "25-34": 1, "bogus": 50}, "gender": {"female": 1}}
        return WriterResult(PersonaDraft.model_validate(base), prompt_tokens=11, completion_tokens=7)


def test_llm_failure_falls_back_to_the_offline_card(small_service: PersonaService) -> None:
    service = PersonaService(small_service.settings, small_service.warehouse, _FailingWriter())
    result = service.run(PersonaRequest(kind="segment", query="s2", lang="en"))
    assert result.meta.writer == "offline"
    assert result.meta.note == "The language model did not answer within 30 s."
    assert result.profile.interests
    # The card says why in its reader's language; the log keeps the English.
    zh = service.run(PersonaRequest(kind="segment", query="s2", lang="zh-TW"))
    assert zh.meta.writer == "offline" and zh.meta.note == "語言模型在 30 秒內沒有回應。"


@pytest.mark.parametrize("lang", ["en", "zh-TW", "zh-CN"])
def test_every_model_fault_is_told_in_the_readers_language(lang: str) -> None:
    faults = [LLMError("unusable", checks=["wrong_language", "unsupported_figure"]), LLMError("connection"),
              LLMError("not_found", model="'gpt-x'"), LLMError("server_error", status=502), LLMError("declined"),
              LLMError("unusable", checks=["a_new_check"])]
    for fault in faults:
        note = fault.for_reader(lang)
        assert note and "{" not in note
        assert (lang == "en") == (note == str(fault))
    assert str(faults[0]) == ("The language model returned an unusable answer (in the wrong language; figures not "
                              "in the data), even after a retry.")
    assert faults[0].for_reader("zh-CN") == "语言模型的回答无法使用（语言不对、含有数据中没有的数字），重试后仍然如此。"
    assert llm_note(ValueError("Traceback: secret"), lang) == t("llm.crashed", lang)
    # A fault without words of its own is a failed call.
    assert LLMError("unknown").for_reader(lang) == t("llm.failed", lang)


def test_writer_output_is_repaired(small_service: PersonaService) -> None:
    service = PersonaService(small_service.settings, small_service.warehouse, _SloppyWriter())
    data = service.run(PersonaRequest(kind="segment", query="s1", lang="en"))
    assert data.meta.writer == "llm" and data.meta.model == "sloppy-model"
    assert data.citations.interests == ["Keep"]
    assert data.meta.dropped_citations == 2
    assert data.hashtags.en == ["#a", "#bc", "#d"]
    assert data.meta.prompt_tokens == 11
    # Coverage is high enough here, so the writer's estimate is ignored: numbers come from data.
    assert data.source == "mixed"
    assert "bogus" not in data.demographics.age

    estimate = service.run(PersonaRequest(kind="apps", query="Niche Tracker, Unknown One", lang="en"))
    assert estimate.source == "ai_estimate"
    assert estimate.demographics.age == {"18-24": 75.0, "25-34": 25.0, "35+": 0.0}
    assert estimate.demographics.gender == {"female": 100.0, "male": 0.0}


def test_sample_segments_all_produce_personas(settings: Settings) -> None:
    service = PersonaService.from_settings(settings)
    for summary in service.segments():
        for lang in ("en", "zh-TW", "zh-CN"):
            result = service.run(PersonaRequest(kind="segment", query=summary.id, lang=lang))
            assert result.segment is not None and result.segment.id == summary.id
            assert 2 <= len(result.hashtags.zh) <= 3 and 2 <= len(result.hashtags.en) <= 3


# --- honest inputs: each bad paste is refused by name -----------------------------------------------------------


class _EstimatingWriter:
    """An LLM-like writer: whatever the offline writer says, with an age and gender estimate of its own."""

    kind = "llm"
    model_name = "estimating-model"

    def write(self, request: WriterRequest) -> WriterResult:
        base = OfflineWriter().write(request).draft.model_dump()
        base["demographics_estimate"] = {
            "age": {"18-24": 50, "25-34": 30, "35+": 20},
            "gender": {"female": 60, "male": 40},
        }
        return WriterResult(PersonaDraft.model_validate(base))


def test_unknown_only_paste_gets_no_persona_offline(small_service: PersonaService) -> None:
    with pytest.raises(NoKnownApps) as err:
        small_service.run(PersonaRequest(kind="apps", query="SomeNewApp 0.9, Keeep Fit, Zzz", lang="en"))
    assert err.value.exit_code == 2
    assert err.value.names == ["SomeNewApp", "Keeep Fit", "Zzz"]
    assert err.value.suggestions == {"Keeep Fit": "Keep"}  # too short a name ("Zzz") gets no guess
    assert "SomeNewApp" in str(err.value) and "/persona help" in str(err.value)


def test_unknown_only_paste_is_an_ai_estimate_with_an_llm(small_service: PersonaService) -> None:
    service = PersonaService(small_service.settings, small_service.warehouse, _EstimatingWriter())
    result = service.run(PersonaRequest(kind="apps", query="SomeNewApp 0.9, Another One", lang="en"))
    assert result.coverage == 0 and result.source == "ai_estimate"
    assert result.demographics.gender == {"female": 60.0, "male": 40.0}
    assert result.closest_segments == []


@pytest.mark.parametrize(
    ("paste", "named"),
    [
        ("小红书 1.5, Keep 0.85", ["小红书 1.5"]),
        ("小红书 1.5", ["小红书 1.5"]),
        ("Keep -3", ["Keep -3"]),
        ("小红书 0.9, Keep -3, meituan: 150", ["Keep -3", "meituan: 150"]),
        ("Keep\t-3\n美团\t0.8", ["Keep -3"]),
    ],
)
def test_out_of_range_scores_are_refused_by_name(small_service: PersonaService, paste: str, named: list[str]) -> None:
    with pytest.raises(ScoresOutOfRange) as err:
        small_service.run(PersonaRequest(kind="apps", query=paste, lang="en"))
    assert err.value.items == named
    assert err.value.exit_code == 2
    assert all(item in str(err.value) for item in named)


def test_a_trailing_decimal_that_is_no_score_stays_a_name(small_service: PersonaService) -> None:
    # Neither "Windows 3.1" nor "Windows" is a catalog app: an unknown name, not a bad score.
    grounding = small_service.ground_apps("Windows 3.1, Keep")
    assert [(a.name, a.app_id) for a in grounding.apps] == [("Windows 3.1", None), ("Keep", "keep")]


def test_two_names_for_one_app_are_merged_visibly(small_service: PersonaService) -> None:
    result = small_service.run(PersonaRequest(kind="apps", query="RED 0.6, Keep 0.9, 小紅書 0.8", lang="en"))
    assert [(a.name, a.app_id, a.score, a.merged_from) for a in result.apps] == [
        ("RED", "xhs", 0.8, ["小紅書"]),
        ("Keep", "keep", 0.9, []),
    ]


# --- nearest segments for a paste --------------------------------------------------------------------------------


def test_a_paste_names_its_closest_segments(small_service: PersonaService) -> None:
    result = small_service.run(PersonaRequest(kind="apps", query="Keep 0.9, 小红书 0.6, 美团 0.2", lang="en"))
    assert [(c.id, c.shared, c.of) for c in result.closest_segments] == [("s1", 2, 3), ("s2", 2, 3)]
    assert result.closest_segments[0].similarity > result.closest_segments[1].similarity
    data = result.model_dump(mode="json")
    assert data["closest_segments"][0] == result.closest_segments[0].model_dump(mode="json")
    # A segment's own persona is not compared with the others.
    assert small_service.run(PersonaRequest(kind="segment", query="s1", lang="en")).closest_segments == []


def test_closest_segments_carry_the_datasets_names_in_every_language(tmp_path: Path) -> None:
    wh = DuckDBWarehouse.open(tmp_path / "w.duckdb")
    wh.load(read_dataset(write_dataset_v2(tmp_path / "ds")))
    service = PersonaService(Settings(PERSONA_DUCKDB_PATH=tmp_path / "w.duckdb", _env_file=None), wh, OfflineWriter())
    result = service.run(PersonaRequest(kind="apps", query="Keep 0.9, 小红书 0.6, 美团 0.2", lang="zh-TW"))
    by_id = {c.id: c for c in result.closest_segments}
    # s1 has Chinese names in the dataset; s2 has none, so every language shows its name as given.
    assert [by_id["s1"].localized_name(lang) for lang in ("en", "zh-TW", "zh-CN")] == ["Gym goers", "健身族", "健身族"]
    assert {by_id["s2"].localized_name(lang) for lang in ("en", "zh-TW", "zh-CN")} == {by_id["s2"].name}
