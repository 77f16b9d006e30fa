"""Settings: every variable is documented, and lists and levels are read the way people write them."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.support.paths import REPO_ROOT as ROOT


def test_every_setting_is_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = [str(field.validation_alias) for field in Settings.model_fields.values()]
    missing = [name for name in names if f"{name}=" not in example]
    # A handful are tuning knobs documented in the README and docs/redis.md rather than in the example file.
    tuning = {"PERSONA_LLM_MAX_RETRIES", "PERSONA_LLM_MAX_TOKENS", "PERSONA_LLM_TEMPERATURE", "PERSONA_MIN_COVERAGE",
              "PERSONA_MAX_INPUT_CHARS", "PERSONA_MAX_INPUT_APPS", "PERSONA_STORE_TTL", "PERSONA_GENERATION_LOCK_TTL",
              "PERSONA_GENERATION_WAIT", "PERSONA_RATE_LIMIT_WINDOW", "SLACK_API_URL", "PERSONA_SLACK_WORKERS",
              "PERSONA_SLACK_RATE_LIMIT_RETRIES"}
    assert [name for name in missing if name not in tuning] == []


def test_allowlists_are_comma_separated_and_forgiving(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONA_ALLOWED_TEAMS", " T1, T2 ,,")
    monkeypatch.setenv("PERSONA_ALLOWED_CHANNELS", "")
    monkeypatch.setenv("PERSONA_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.allowed_teams == frozenset({"T1", "T2"})
    assert settings.allowed_channels == frozenset()
    assert settings.log_level == "DEBUG"


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONA_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match=r"log_format|PERSONA_LOG_FORMAT"):
        Settings()
