"""manifest.yml must be accepted by Slack: validated against Slack's own app manifest JSON schema."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.support.paths import REPO_ROOT as ROOT

SCHEMA = ROOT.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def test_manifest_validates_against_slacks_schema(manifest: dict) -> None:
    if not SCHEMA.exists():
        pytest.skip("Slack's manifest schema is not beside the project (../shared/slack)")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []


def test_manifest_matches_what_the_handlers_listen_for(manifest: dict) -> None:
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/persona"]
    assert [s["callback_id"] for s in features["shortcuts"]] == ["persona_from_message"]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened", "app_mention", "message.im",
    }
    assert manifest["settings"]["interactivity"]["message_menu_options_url"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "chat:write.public", "files:write", "users:read"} <= scopes
    # Fewest scopes that work: nothing that reads channel history or user emails.
    assert not scopes & {"channels:history", "groups:history", "users:read.email", "chat:write.customize"}


def test_manifest_declares_the_agent_view_the_app_offers(manifest: dict) -> None:
    from bot.i18n import t
    from bot.slack.agent_status import PROMPTS

    agent = manifest["features"]["agent_view"]
    assert 0 < len(agent["agent_description"]) <= 300
    # The prompts the manifest shows are the ones the app offers when the Messages tab opens (in English there).
    assert agent["suggested_prompts"] == [{"title": t(title, "en"), "message": t(message, "en")}
                                          for title, message in PROMPTS]
    assert all(action["name"] and action["description"] for action in agent["actions"])
    assert "assistant:write" in manifest["oauth_config"]["scopes"]["bot"]
