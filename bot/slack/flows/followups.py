"""Follow-ups on a card (partnership ideas, competitor analysis), answered in the card's thread."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient

from bot.followups import FollowUpReport
from bot.i18n import t
from bot.rate_limit import RateLimited
from bot.slack.blocks import card as cards
from bot.slack.blocks import views
from bot.slack.flows.base import FlowsBase, _load_json
from bot.store import StoredPersona

log = logging.getLogger(__name__)


class FollowUpFlows(FlowsBase):
    def followup(self, client: WebClient, *, kind: str, persona_id: str, user_id: str, where: dict[str, Any],
                 product: str | None = None) -> None:
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        lang = stored.request.lang
        surface = self.card_surface(client, where, replace=False)
        try:
            if not surface.ephemeral:
                surface.show(cards.working_message(lang))
            report = self._followup_report(kind, stored, product, user_id)
            payload = views.followup_message(report, lang)
            if surface.ephemeral:
                surface.add(payload)
            else:
                surface.show(payload)
        except RateLimited as exc:
            self._safe_show(surface, cards.error_message(t("msg.rate_limited", lang, seconds=exc.retry_after), lang))
        except Exception:
            log.exception("followup_failed")
            self._safe_show(surface, cards.error_message(t("msg.unexpected", lang), lang))

    def _followup_report(self, kind: str, stored: StoredPersona, product: str | None, user_id: str) -> FollowUpReport:
        def compute() -> FollowUpReport:
            if kind == "partnership":
                return self.followups.partnership(stored.result)
            return self.followups.competitors(stored.result, product or "")

        writes = self.service.writes
        report = writes.followup(writes.followup_key(stored.result, kind, product), FollowUpReport, compute,
                                 user_id=user_id, team_id=stored.request.team_id)
        return report

    def open_competitor_modal(self, client: WebClient, *, trigger_id: str, persona_id: str, user_id: str,
                              where: dict[str, Any]) -> None:
        lang = self.quick_lang(user_id)
        meta = json.dumps({"persona_id": persona_id, "where": where})
        self._open_modal(client, trigger_id, views.competitor_modal(lang, private_metadata=meta), where, user_id)

    def competitor_from_modal(self, client: WebClient, *, user_id: str, product: str, private_metadata: str) -> None:
        meta = _load_json(private_metadata)
        self.followup(client, kind="competitor", persona_id=str(meta.get("persona_id", "")), user_id=user_id,
                      where=dict(meta.get("where") or {}), product=product)
