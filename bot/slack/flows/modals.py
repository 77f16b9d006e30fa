"""The persona picker modal: open it, check a submission, answer it."""

from __future__ import annotations

import json
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import LANGS
from bot.i18n import t
from bot.slack.blocks import card as cards
from bot.slack.blocks import views
from bot.slack.flows.base import _load_json
from bot.slack.flows.persona import PersonaFlows
from bot.slack.surfaces import MessageSurface, ResponseUrlSurface, Surface, SurfaceError
from bot.store import PersonaRequest

log = logging.getLogger(__name__)


class ModalFlows(PersonaFlows):
    def open_persona_modal(self, client: WebClient, *, trigger_id: str, user_id: str, channel: str | None,
                           response_url: str | None) -> None:
        lang = self.quick_lang(user_id)
        meta = json.dumps({"channel": channel, "response_url": response_url})
        where = {"channel": channel, "ephemeral": True, "response_url": response_url}
        self._open_modal(client, trigger_id, views.persona_modal(lang, private_metadata=meta), where, user_id)

    def persona_modal_errors(self, user_id: str, *, segment_id: str | None,
                             apps_text: str | None) -> dict[str, str] | None:
        """Errors to show under the picker's inputs (the modal stays open), or None when it can be answered."""
        if segment_id or (apps_text or "").strip():
            return None
        return {"apps_block": t("modal.need_input", self.quick_lang(user_id))}

    def persona_from_modal(self, client: WebClient, *, user_id: str, segment_id: str | None, apps_text: str | None,
                           lang: str | None, private_metadata: str, team_id: str | None = None) -> None:
        # Bolt runs lazy listeners whatever the ack said: a submission the modal refused must not be answered too.
        if self.persona_modal_errors(user_id, segment_id=segment_id, apps_text=apps_text) is not None:
            return
        meta = _load_json(private_metadata)
        chosen = self.lang_for(client, user_id, lang)
        if lang in LANGS:
            self.store.set_lang(user_id, chosen)
        if segment_id:
            request = PersonaRequest(kind="segment", query=segment_id, lang=chosen, team_id=team_id)
        else:
            request = PersonaRequest(kind="apps", query=apps_text or "", lang=chosen, team_id=team_id)
        try:
            if meta.get("response_url"):
                surface: Surface = ResponseUrlSurface(str(meta["response_url"]))
            else:
                # Opened from App Home: there is no channel, so the card goes to the user's DM with the app.
                dm = client.conversations_open(users=user_id)["channel"]["id"]
                surface = MessageSurface(client, dm)
            surface.show(cards.working_message(chosen))
        except (SurfaceError, SlackApiError) as exc:
            # The modal is closed by now and there is nowhere else to answer; the log says why.
            log.warning("modal_answer_failed", extra={"error": getattr(exc, "error", None) or str(exc)})
            return
        self.deliver(surface, request, user_id)
