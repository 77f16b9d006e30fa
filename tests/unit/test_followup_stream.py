"""A follow-up written as streamed text: read back into its parts, then the same checks as a JSON answer.

The model is the local OpenAI-compatible server behind the real `openai` SDK and `OpenAIWriter`, which streams a
scripted text a few characters at a time.
"""

from __future__ import annotations

import threading

import pytest

from bot.followups import FollowUpReport, FollowUpService, draft_from_text, streamed_as_is
from bot.i18n import t
from bot.models import PersonaResult
from bot.service import PersonaService
from bot.store import PersonaRequest
from prompts import load_template
from tests.support.openai_server import FakeOpenAIServer, Reply

DELIVERY_TAIPEI = "seg_020"  # Food delivery regulars in Taipei: Uber Eats, foodpanda, Starbucks…

GOOD = ("Team up with the apps they already order from.\n"
        "- Uber Eats: a bundle for lunch orders near offices\n"
        "- Starbucks: a morning offer paired with the client's drink\n"
        "→ Email the Uber Eats partnership team\n"
        "→ Draft the Starbucks bundle")


def persona(model_service: PersonaService, llm: FakeOpenAIServer, lang: str = "en") -> PersonaResult:
    result = model_service.run(PersonaRequest(kind="segment", query=DELIVERY_TAIPEI, lang=lang))
    llm.reset()
    return result


def streamed(model_service: PersonaService, result: PersonaResult, kind: str = "partnership",
             product: str | None = "oat milk") -> tuple[FollowUpReport, list[str]]:
    shown: list[str] = []
    report = FollowUpService.beside(model_service).stream(kind, result, product, shown.append)
    return report, shown


# --- reading the text back ---------------------------------------------------------------------------------------


def test_the_layout_is_read_back_into_summary_points_and_next_steps() -> None:
    draft = draft_from_text(GOOD)
    assert draft.summary == "Team up with the apps they already order from."
    assert draft.points == ["Uber Eats: a bundle for lunch orders near offices",
                            "Starbucks: a morning offer paired with the client's drink"]
    assert draft.next_actions == ["Email the Uber Eats partnership team", "Draft the Starbucks bundle"]


def test_wrapped_items_numbered_points_typed_arrows_and_headings_are_read_as_meant() -> None:
    text = ("**Summary:**\nPartner with Keep.\nIt is their gym.\n\nIdeas:\n1. Co-branded classes\n   at Keep studios\n"
            "2) A Strava club\n\n下一步：\n-> Call Keep\n=> Email Strava\n   this week")
    draft = draft_from_text(text)
    assert draft.summary == "Partner with Keep. It is their gym."
    assert draft.points == ["Co-branded classes at Keep studios", "A Strava club"]
    assert draft.next_actions == ["Call Keep", "Email Strava this week"]


def test_text_without_the_layout_has_no_points() -> None:
    draft = draft_from_text("This audience is best reached where it already spends its time.")
    assert draft.points == [] and draft.next_actions == []


# --- streamed and checked ----------------------------------------------------------------------------------------


def test_a_streamed_follow_up_arrives_in_pieces_and_is_kept_as_written(model_service, llm) -> None:
    result = persona(model_service, llm)
    llm.enqueue(Reply.text(GOOD))
    report, shown = streamed(model_service, result)
    assert len(shown) > 3 and "".join(shown) == GOOD
    assert report.writer == "llm" and report.note is None and report.product == "oat milk"
    assert report.points == draft_from_text(GOOD).points and report.removed_figures == 0
    assert streamed_as_is(report, GOOD)
    body = llm.requests[0].body
    assert body["stream"] is True and "response_format" not in body
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert load_template("followup_answer_text.v1.txt").strip() in system and "Write in English" in system
    # The product and the persona are data, as in the JSON prompt.
    assert "<segment_data>" in user and "oat milk" in user


def test_a_figure_the_persona_does_not_hold_is_taken_out_as_in_a_json_answer(model_service, llm) -> None:
    result = persona(model_service, llm)
    inventing = GOOD.replace("a bundle for lunch", "13.37% more of them want a bundle for lunch")
    llm.enqueue(Reply.text(inventing))
    report, _shown = streamed(model_service, result)
    assert report.writer == "llm" and report.removed_figures == 1 and "13.37" not in report.points[0]
    assert not streamed_as_is(report, inventing)  # what was shown must be replaced
    # The JSON path does exactly the same with the same words, when its repair does no better.
    draft = draft_from_text(inventing).model_dump()
    llm.enqueue(Reply.json(draft), Reply.json(draft))
    written = FollowUpService.beside(model_service).write("partnership", result, "oat milk")
    assert (written.summary, written.points, written.next_actions, written.removed_figures) == (
        report.summary, report.points, report.next_actions, report.removed_figures)


def test_a_point_copied_from_the_instructions_is_dropped(model_service, llm) -> None:
    result = persona(model_service, llm)
    leak = "- " + " ".join(load_template("followup_system.v2.txt").split("\n\n")[1].split()[:16])
    text = GOOD.replace("→ Email", f"{leak}\n→ Email")
    llm.enqueue(Reply.text(text))
    report, _shown = streamed(model_service, result)
    assert report.writer == "llm" and len(report.points) == 2 and "data supplied by users" not in str(report)
    assert not streamed_as_is(report, text)


def test_a_text_that_is_all_instructions_gives_the_offline_report(model_service, llm) -> None:
    result = persona(model_service, llm)
    system = load_template("followup_system.v2.txt")
    leak = " ".join(system.split("\n\n")[1].split()[:20])
    llm.enqueue(Reply.text(f"{leak}\n- {leak} again\n→ {leak} once more"))
    report, shown = streamed(model_service, result)
    assert shown and report.writer == "offline" and report.note == t("chat.replaced", "en")
    assert not streamed_as_is(report, "".join(shown))


@pytest.mark.parametrize("text", [
    "This audience is best reached where it already spends its time.",  # no points: the layout was not followed
    GOOD,  # English for a reader of traditional Chinese
])
def test_a_text_that_fails_a_check_post_processing_cannot_mend_gives_the_offline_report(
        model_service, llm, text: str) -> None:
    lang = "en" if text != GOOD else "zh-TW"
    result = persona(model_service, llm, lang)
    llm.enqueue(Reply.text(text))
    report, shown = streamed(model_service, result)
    assert "".join(shown) == text
    assert report.writer == "offline" and report.note == t("chat.replaced", lang) and report.points
    assert llm.calls == 1  # no repair: the reader has seen the text


def test_a_stream_the_server_refuses_gives_the_offline_report_with_the_reason(model_service, llm) -> None:
    result = persona(model_service, llm)
    llm.enqueue(Reply.status_code(500, {"error": {"message": "boom", "type": "server_error"}}))
    report, shown = streamed(model_service, result)
    assert shown == [] and report.writer == "offline" and "HTTP 500" in (report.note or "")


@pytest.mark.parametrize("streams", [True, False], ids=["streamed", "json"])
def test_the_reason_is_given_in_the_readers_language(model_service, llm, streams: bool) -> None:
    result = persona(model_service, llm, "zh-CN")
    llm.enqueue(Reply.status_code(500, {"error": {"message": "boom", "type": "server_error"}}))
    followups = FollowUpService.beside(model_service)
    report = followups.stream("partnership", result, None, lambda _piece: None) if streams else \
        followups.write("partnership", result, None)
    assert report.writer == "offline" and report.note == "语言模型服务器出错（HTTP 500）。"


def test_identical_concurrent_streams_cost_one_call_and_only_the_writer_streams(model_service, llm) -> None:
    result = persona(model_service, llm)
    llm.enqueue(Reply.text(GOOD, delay=0.5))
    followups = FollowUpService.beside(model_service)
    shown: dict[int, list[str]] = {0: [], 1: []}
    reports: dict[int, FollowUpReport] = {}

    def click(i: int) -> None:
        reports[i] = followups.write_once(model_service, "partnership", result, "oat milk", user_id=f"U{i}",
                                          on_text=shown[i].append)

    threads = [threading.Thread(target=click, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert llm.calls == 1
    assert sorted(len(pieces) > 0 for pieces in shown.values()) == [False, True]
    assert reports[0].points == reports[1].points == draft_from_text(GOOD).points
    # A later click gets the cached report, whole.
    again: list[str] = []
    cached = followups.write_once(model_service, "partnership", result, "oat milk", on_text=again.append)
    assert cached.cached and again == [] and llm.calls == 1


def test_without_a_model_that_streams_the_report_is_written_whole(model_service, llm) -> None:
    result = persona(model_service, llm)
    offline = FollowUpService(model_service.settings, model_service.warehouse)
    shown: list[str] = []
    report = offline.stream("partnership", result, "oat milk", shown.append)
    assert not offline.streams and shown == [] and report.writer == "offline" and report.note is None
