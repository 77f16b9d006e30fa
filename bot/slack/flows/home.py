"""App Home: recent personas (each opens its card again), the language choice, and the picker's typeahead."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import LANGS
from bot.i18n import t
from bot.slack.blocks import views
from bot.slack.flows.base import FlowsBase

log = logging.getLogger(__name__)


class HomeFlows(FlowsBase):
    def publish_home(self, client: WebClient, *, user_id: str) -> None:
        lang = self.lang_for(client, user_id)
        try:
            client.views_publish(user_id=user_id, view=views.home_view(lang, self.store.recent(user_id)))
        except SlackApiError as exc:
            # The tab keeps showing the last view it got; nothing to tell the user beyond that.
            log.warning("views_publish_failed", extra={"error": exc.response.get("error")})

    def open_recent(self, client: WebClient, *, persona_id: str, user_id: str) -> None:
        """A recent persona from App Home, posted again in the user's conversation with the app."""
        stored = self.stored(persona_id)
        if stored is not None and stored.user_id != user_id:
            stored = None  # App Home lists only one's own personas; a forged id gets nothing
        message = (self._card(stored.result, ephemeral=False) if stored is not None
                   else {"text": t("msg.expired", self.quick_lang(user_id))})
        try:
            client.chat_postMessage(channel=user_id, **message)
        except SlackApiError as exc:
            log.warning("open_recent_failed", extra={"error": exc.response.get("error")})

    def set_lang(self, client: WebClient, *, user_id: str, lang: str) -> None:
        if lang in LANGS:
            self.store.set_lang(user_id, lang)  # type: ignore[arg-type]
        self.publish_home(client, user_id=user_id)

    def segment_options(self, query: str, *, user_id: str = "") -> list[dict[str, Any]]:
        """Only the segments that match, best first, named in the user's language (known without calling Slack:
        a typeahead must answer within 3 s)."""
        lang = self.quick_lang(user_id) if user_id else self.settings.default_lang
        return views.segment_options(self.service.search_segments(query, limit=20), lang)
