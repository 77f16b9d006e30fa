"""Languages are data: one file per language, complete and consistent, and the one place language names live."""

from __future__ import annotations

import dataclasses
from importlib import resources

import pytest

from bot.config import LANGS
from bot.followups import get_kind, kinds
from bot.followups.registry import problems as kind_problems
from bot.i18n import keys, t
from bot.languages import Language, language, languages, normalize_lang, placeholders, problems, read_language
from bot.models import Demographics, Grounding, GroundingApp, WriterRequest
from bot.prompting import render_user_message
from bot.slack.blocks.views import persona_modal


def test_there_is_one_file_per_language_shipped_with_the_package() -> None:
    folder = resources.files("bot").joinpath("data/locales")
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    assert files == sorted(f"{code}.json" for code in LANGS)
    assert list(languages()) == list(LANGS)


def test_the_language_files_agree() -> None:
    assert problems(languages()) == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_ui_string_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    reference, strings = language(LANGS[0]).strings, language(lang).strings
    assert strings.keys() == reference.keys()
    for key, text in strings.items():
        assert text.strip(), key
        assert placeholders(text) == placeholders(reference[key]), key


@pytest.mark.parametrize("lang", LANGS)
def test_every_offline_phrase_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    reference, phrasing = language(LANGS[0]).offline.model_dump(), language(lang).offline.model_dump()
    assert phrasing.keys() == reference.keys()
    for name, text in phrasing.items():
        if isinstance(text, str):
            assert placeholders(text) == placeholders(reference[name]), name
    assert phrasing["gender_labels"].keys() == reference["gender_labels"].keys()


def edited(code: str, **changes: object) -> Language:
    return read_language(code).model_copy(update=changes)


@pytest.mark.parametrize(
    ("broken", "complaint"),
    [
        ({"zh-CN": lambda: edited("zh-CN", strings={k: v for k, v in language("zh-CN").strings.items() if k != "age"})},
         "zh-CN lacks 'strings.age'"),
        ({"zh-TW": lambda: edited("zh-TW", strings={**language("zh-TW").strings, "extra": "x"})},
         "zh-TW has 'strings.extra', which en lacks"),
        ({"zh-TW": lambda: edited("zh-TW", strings={**language("zh-TW").strings, "grounded_on": "依據 App"})},
         "zh-TW 'strings.grounded_on' has placeholders []"),
        ({"zh-CN": lambda: edited("zh-CN", offline=language("zh-CN").offline.model_copy(
            update={"people": ("主要", "{people}", "{people}")}))},
         "zh-CN 'offline.people.0' has placeholders []"),
        ({"zh-CN": lambda: edited("zh-CN", strings={**language("zh-CN").strings, "age": " "})},
         "zh-CN 'strings.age' is empty"),
        ({"zh-CN": lambda: edited("zh-TW")}, "zh-CN.json says it is 'zh-TW'"),
    ],
)
def test_a_language_that_disagrees_is_refused(broken: dict, complaint: str) -> None:
    loaded = {code: read_language(code) for code in LANGS}
    loaded.update({code: make() for code, make in broken.items()})
    found = problems(loaded)
    assert any(problem.startswith(complaint) for problem in found), found


def test_a_missing_language_file_is_refused() -> None:
    found = problems({code: read_language(code) for code in LANGS[:-1]})
    assert found == [f"no language file for {LANGS[-1]}"]


def test_a_language_file_can_carry_a_follow_up_kinds_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    # A language added after a kind: the kind's module has no strings for it, the language's file does.
    kind = get_kind("partnership")
    added = list(kind.strings)[-1]
    strings_there = dict(kind.strings[added])
    kind_without = dataclasses.replace(kind, strings={k: v for k, v in kind.strings.items() if k != added})
    registry = [kind_without, *(other for other in kinds() if other.id != kind.id)]
    assert any("strings differ" in p for p in kind_problems(registry))

    carrying = read_language(added).model_copy(update={"followups": {kind.id: strings_there}})
    lookup = {**languages(), added: carrying}
    monkeypatch.setattr("bot.followups.kind.language", lookup.__getitem__)
    monkeypatch.setattr("bot.followups.registry.language", lookup.__getitem__)
    assert kind_problems(registry) == []
    assert kind_without.text("button", added) == kind.text("button", added)
    # The same string in both places is ambiguous, so it is refused.
    assert any("defined both in its module" in p for p in kind_problems([kind, *registry[1:]]))


def test_language_names_come_from_the_language_files() -> None:
    options = next(b for b in persona_modal("en", private_metadata="")["blocks"] if b["block_id"] == "lang_block")
    assert [(o["value"], o["text"]["text"]) for o in options["element"]["options"]] == [
        (code, language(code).display_name) for code in LANGS
    ]
    request = WriterRequest(grounding=Grounding(apps=[GroundingApp(name="Keep", weight=1.0)]),
                            demographics=Demographics(), lang="zh-TW")
    message = render_user_message(request)
    assert f"\nlanguage: {language('zh-TW').model_name}\n" in message
    assert f"\nhashtag_zh_script: {language('zh-TW').hashtag_zh_script}\n" in message


def test_slack_locales_pick_the_most_specific_language() -> None:
    for code in LANGS:
        for locale in language(code).slack_locales:
            assert normalize_lang(locale) == code
            assert normalize_lang(locale.upper().replace("-", "_") + "-XX") == code
    assert normalize_lang("tlh-KL") == "en"


def test_the_i18n_table_is_the_language_files() -> None:
    assert keys() == list(language(LANGS[0]).strings)
    for code in LANGS:
        assert t("btn.export", code) == language(code).strings["btn.export"]
        assert t("grounded_on", code, n=2) == language(code).strings["grounded_on"].format(n=2)
