"""Buttons and selects: acked at once, the work runs lazily and answers in the card's thread or in place."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.payloads import ack_only, action_value, team_id, user_id, where_clicked

if TYPE_CHECKING:  # listeners get the flows injected; only type checkers need to see the class
    from bot.slack.flows import SlackFlows


def register(app: App, flows: SlackFlows) -> None:
    def on(action_id: str | re.Pattern[str], run: Callable[[dict[str, Any], WebClient], None]) -> None:
        app.action(action_id)(ack=ack_only, lazy=[run])

    def open_modal(body: dict[str, Any], client: WebClient) -> None:
        flows.open_persona_modal(client, trigger_id=body["trigger_id"], user_id=user_id(body),
                                 channel=(body.get("channel") or {}).get("id"), response_url=body.get("response_url"))

    def share(body: dict[str, Any], client: WebClient) -> None:
        where = where_clicked(body)
        flows.share(client, persona_id=action_value(body), user_id=user_id(body), channel=where["channel"],
                    response_url=where["response_url"], team_id=team_id(body))

    def followup(body: dict[str, Any], client: WebClient) -> None:
        flows.followup_clicked(client, action_id=body["actions"][0]["action_id"], trigger_id=body["trigger_id"],
                               persona_id=action_value(body), user_id=user_id(body), where=where_clicked(body))

    def regenerate(body: dict[str, Any], client: WebClient) -> None:
        flows.regenerate(client, persona_id=action_value(body), user_id=user_id(body), where=where_clicked(body),
                         team_id=team_id(body))

    def feedback(body: dict[str, Any], client: WebClient) -> None:
        # Cards from before the feedback buttons carry one plain button per vote, with the persona id as value.
        vote = "up" if body["actions"][0]["action_id"].endswith("_up") else "down"
        flows.feedback(client=client, persona_id=action_value(body), user_id=user_id(body), vote=vote,
                       response_url=body.get("response_url"), where=where_clicked(body), team_id=team_id(body))

    def feedback_buttons(body: dict[str, Any], client: WebClient) -> None:
        flows.feedback_vote(client=client, value=action_value(body), user_id=user_id(body),
                            response_url=body.get("response_url"), where=where_clicked(body), team_id=team_id(body))

    def export(body: dict[str, Any], client: WebClient) -> None:
        flows.export(client, value=action_value(body), user_id=user_id(body), where=where_clicked(body),
                     team_id=team_id(body))

    def more_apps(body: dict[str, Any], client: WebClient) -> None:
        flows.more_apps(client, persona_id=action_value(body), user_id=user_id(body), where=where_clicked(body))

    def open_recent(body: dict[str, Any], client: WebClient) -> None:
        flows.open_recent(client, persona_id=action_value(body), user_id=user_id(body))

    def compare(body: dict[str, Any], client: WebClient) -> None:
        flows.open_compare_modal(client, trigger_id=body["trigger_id"], persona_id=action_value(body),
                                 user_id=user_id(body), where=where_clicked(body))

    def pick_segment(body: dict[str, Any], client: WebClient) -> None:
        flows.pick_segment(client, segment_id=action_value(body), user_id=user_id(body), where=where_clicked(body),
                           team_id=team_id(body))

    def set_lang(body: dict[str, Any], client: WebClient) -> None:
        flows.set_lang(client, user_id=user_id(body), lang=action_value(body))

    on("persona_open_modal", open_modal)
    on("persona_share", share)
    # One listener for every registered follow-up kind's button.
    on(flows.followup_actions, followup)
    on(re.compile(r"^persona_(regenerate|retry)$"), regenerate)
    on(re.compile(r"^persona_feedback_(up|down)$"), feedback)
    on("persona_feedback", feedback_buttons)
    on("persona_export", export)
    on("persona_more_apps", more_apps)
    on(re.compile(r"^home_open_persona_\d+$"), open_recent)
    on("persona_compare", compare)
    on(re.compile(r"^persona_pick_segment_\d+$"), pick_segment)
    on("home_set_lang", set_lang)

    # The persona picker, and the numbered pickers of the compare modal.
    @app.options(re.compile(r"^segment_picker(_\d+)?$"))
    def segment_options(ack: Ack, body: dict[str, Any]) -> None:
        # Typeahead must answer within Slack's 3 s: a ranked search over the cached segment list.
        user_id = str((body.get("user") or {}).get("id", ""))
        ack(options=flows.segment_options(str(body.get("value", "")), user_id=user_id))
