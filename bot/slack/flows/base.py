"""What every Slack flow shares: the service, the store, the user's language, and where to answer.

The flows are split by feature (persona delivery, follow-ups, card actions, modals, App Home); `SlackFlows` in
this package puts them together. Every flow catches what can go wrong and shows the user a friendly message
instead: nothing here raises to Bolt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Lang, Settings
from bot.followups import FollowUpService
from bot.i18n import t
from bot.models import PersonaResult
from bot.service import PersonaService
from bot.slack.blocks import card as cards
from bot.slack.blocks import views
from bot.slack.blocks.charts import has_charts
from bot.slack.surfaces import MessageSurface, ResponseUrlSurface, Surface, SurfaceError
from bot.slack.user_langs import UserLangs
from bot.store import PersonaStore, StoredPersona, ThreadChat

log = logging.getLogger(__name__)


class FlowsBase:
    def __init__(
        self,
        settings: Settings,
        service: PersonaService,
        store: PersonaStore,
        followups: FollowUpService,
    ):
        self.settings = settings
        self.service = service
        self.store = store
        self.followups = followups
        self.langs = UserLangs(store, settings.default_lang)

    def lang_for(self, client: WebClient, user_id: str, explicit: str | None = None) -> Lang:
        return self.langs.resolve(client, user_id, explicit)

    def quick_lang(self, user_id: str) -> Lang:
        """The language we know without calling Slack: for acks, which must not wait on the network."""
        return self.langs.known(user_id)

    def _card(self, result: PersonaResult, *, ephemeral: bool, team_id: str | None = None,
              charts: bool = True, shared: bool = False) -> dict[str, Any]:
        cached_ago = views.time_ago(result.meta.generated_at, result.meta.lang) if result.meta.cached else None
        charts = charts and not (team_id and self.store.charts_refused(team_id))
        return cards.persona_card(result, ephemeral=ephemeral, cached_ago=cached_ago, charts=charts, shared=shared)

    def send_card(self, send: Callable[[dict[str, Any]], object], result: PersonaResult, *, ephemeral: bool,
                  team_id: str | None, shared: bool = False) -> None:
        """Sends the card with charts; if Slack refuses them (`invalid_blocks`), again without, and remembers that.

        Slack names neither the block nor the reason, so a refused card with charts is taken as this workspace's
        Slack not drawing them: its later cards are sent without charts at once, and nobody gets an error instead
        of a card. A card refused for anything else, or refused without charts, raises as before.
        """
        payload = self._card(result, ephemeral=ephemeral, team_id=team_id, shared=shared)
        try:
            send(payload)
        except (SurfaceError, SlackApiError) as exc:
            error = exc.error if isinstance(exc, SurfaceError) else str(exc.response.get("error", ""))
            if error != "invalid_blocks" or not has_charts(payload):
                raise
            log.warning("charts_refused", extra={"team_id": team_id})
            if team_id:
                self.store.refuse_charts(team_id)
            send(self._card(result, ephemeral=ephemeral, charts=False, shared=shared))

    @staticmethod
    def _safe_show(surface: Surface, payload: dict[str, Any]) -> None:
        try:
            surface.show(payload)
        except Exception:
            log.exception("could_not_show_error")

    def _ephemeral(self, client: WebClient, channel: str, user_id: str, text: str,
                   thread_ts: str | None = None) -> bool:
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text, thread_ts=thread_ts)
        except SlackApiError as exc:
            log.warning("ephemeral_failed", extra={"error": exc.response.get("error")})
            return False
        return True

    def _notice(self, client: WebClient, where: dict[str, Any], user_id: str, text: str) -> None:
        """A short private note next to what was clicked.

        The response_url reaches the user wherever the click happened; chat.postEphemeral needs a channel the
        app may post in, which a private channel it is not a member of is not.
        """
        if where.get("response_url"):
            try:
                ResponseUrlSurface(str(where["response_url"])).add({"text": text})
                return
            except Exception:
                log.warning("response_url_notice_failed", exc_info=True)
        if where.get("channel"):
            self._ephemeral(client, str(where["channel"]), user_id, text)

    def link_thread(self, channel: str, thread_ts: str | None, persona_id: str) -> None:
        """Questions in this thread are about this persona from now on (a new card starts a new conversation)."""
        if thread_ts:
            self.store.put_thread(channel, thread_ts, ThreadChat(persona_id=persona_id))

    def stored(self, persona_id: str) -> StoredPersona | None:
        return self.store.get(persona_id)

    def card_surface(self, client: WebClient, where: dict[str, Any], *, replace: bool) -> Surface:
        """The surface of a card that was clicked: its message (public) or its response_url (ephemeral)."""
        if where.get("ephemeral") or not where.get("ts"):
            return ResponseUrlSurface(where["response_url"], replace_first=replace)
        if replace:
            return MessageSurface(client, where["channel"], ts=where["ts"])
        return MessageSurface(client, where["channel"], thread_ts=where.get("thread_ts") or where["ts"])

    def expired(self, client: WebClient, where: dict[str, Any], user_id: str) -> None:
        # Only the user who clicked needs to know, not everyone in the card's thread.
        self._notice(client, where, user_id, t("msg.expired", self.quick_lang(user_id)))

    def _open_modal(self, client: WebClient, trigger_id: str, view: dict[str, Any], where: dict[str, Any],
                    user_id: str) -> None:
        try:
            client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            # Mostly expired_trigger_id: the click waited more than Slack's 3 s for a free worker.
            log.warning("views_open_failed", extra={"error": exc.response.get("error")})
            lang = self.quick_lang(user_id)
            self._notice(client, where, user_id, t("msg.unexpected", lang))


def _load_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
