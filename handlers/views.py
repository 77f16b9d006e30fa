"""Modal submissions: validated in the ack (errors shown in the modal), the work runs lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.payloads import ack_only, state_value, team_id, user_id

if TYPE_CHECKING:  # listeners get the flows injected; only type checkers need to see the class
    from bot.slack.flows import SlackFlows


def register(app: App, flows: SlackFlows) -> None:
    def ack_persona_modal(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        errors = flows.persona_modal_errors(
            user_id(body),
            segment_id=state_value(view, "segment_block", "segment_picker"),
            apps_text=state_value(view, "apps_block", "apps_input"),
        )
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def persona_modal(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        flows.persona_from_modal(
            client,
            user_id=user_id(body),
            segment_id=state_value(view, "segment_block", "segment_picker"),
            apps_text=state_value(view, "apps_block", "apps_input"),
            lang=state_value(view, "lang_block", "lang_select"),
            private_metadata=view.get("private_metadata", ""),
            team_id=team_id(body),
        )


    def product_modal(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        flows.followup_from_modal(client, callback_id=str(view.get("callback_id", "")), user_id=user_id(body),
                                  product=state_value(view, "product_block", "product_input") or "",
                                  private_metadata=view.get("private_metadata", ""))

    def picked(view: dict[str, Any]) -> list[str | None]:
        return [state_value(view, block_id, action_id) for block_id, action_id in flows.compare_pickers]

    def ack_compare_modal(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        errors = flows.compare_modal_errors(user_id(body), picked(view), view.get("private_metadata", ""))
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def compare_modal(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        flows.compare_from_modal(client, user_id=user_id(body), picked=picked(view),
                                 private_metadata=view.get("private_metadata", ""), team_id=team_id(body))

    app.view("compare_modal")(ack=ack_compare_modal, lazy=[compare_modal])
    app.view("persona_modal")(ack=ack_persona_modal, lazy=[persona_modal])
    # One listener for the product modal of every follow-up kind that asks for a product.
    app.view(flows.product_modals)(ack=ack_only, lazy=[product_modal])
