"""Follow-ups on a card (every kind in `bot.followups.registry`), answered in the card's thread.

No flow here names a kind: a click asks the kind's declaration whether to open the product modal first, and an
id that is not registered (a button from an older version, a forged payload) gets a friendly notice and a log
line, never some other kind's answer.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk import WebClient

from bot.followups import FollowUpKind, FollowUpReport, UnknownFollowUpKind, get_kind
from bot.followups.registry import action_pattern, product_modal_pattern
from bot.i18n import t
from bot.rate_limit import RateLimited
from bot.slack.blocks import card as cards
from bot.slack.blocks import views
from bot.slack.flows.base import FlowsBase, _load_json
from bot.store import StoredPersona

log = logging.getLogger(__name__)


class FollowUpFlows(FlowsBase):
    # What the listeners listen for: every kind's card button, and the product modal of kinds that ask for one.
    followup_actions: re.Pattern[str] = action_pattern()
    product_modals: re.Pattern[str] = product_modal_pattern()

    def _kind(self, client: WebClient, kind_id: str, user_id: str, where: dict[str, Any]) -> FollowUpKind | None:
        """The registered kind, or None after telling the user that this follow-up is not available."""
        try:
            return get_kind(kind_id)
        except UnknownFollowUpKind:
            log.warning("followup_unknown_kind", extra={"kind": kind_id[:64]})
            self._notice(client, where, user_id, t("msg.unknown_followup", self.quick_lang(user_id)))
            return None

    def followup_clicked(self, client: WebClient, *, action_id: str, trigger_id: str, persona_id: str, user_id: str,
                         where: dict[str, Any]) -> None:
        """A follow-up button: the product modal first when the kind asks for a product, else the answer."""
        found = self._kind(client, _kind_id(self.followup_actions, action_id), user_id, where)
        if found is None:
            return
        if found.asks_for_product:
            # A persona the app no longer has is said at once, not after the user has filled in the modal.
            if self.stored(persona_id) is None:
                self.expired(client, where, user_id)
                return
            self.open_product_modal(client, kind=found, trigger_id=trigger_id, persona_id=persona_id,
                                    user_id=user_id, where=where)
        else:
            self.followup(client, kind=found.id, persona_id=persona_id, user_id=user_id, where=where)

    def followup(self, client: WebClient, *, kind: str, persona_id: str, user_id: str, where: dict[str, Any],
                 product: str | None = None) -> None:
        found = self._kind(client, kind, user_id, where)
        if found is None:
            return
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        lang = stored.request.lang
        surface = self.card_surface(client, where, replace=False)
        try:
            if not surface.ephemeral:
                surface.show(cards.working_message(lang))
            report = self._followup_report(found, stored, product, user_id)
            first, *more = views.followup_messages(report, lang)
            if surface.ephemeral:
                surface.add(first)
            else:
                surface.show(first)
            for payload in more:
                surface.add(payload)
        except RateLimited as exc:
            self._safe_show(surface, cards.error_message(t("msg.rate_limited", lang, seconds=exc.retry_after), lang))
        except Exception:
            log.exception("followup_failed")
            self._safe_show(surface, cards.error_message(t("msg.unexpected", lang), lang))

    def _followup_report(self, kind: FollowUpKind, stored: StoredPersona, product: str | None,
                         user_id: str) -> FollowUpReport:
        return self.followups.write_once(self.service, kind.id, stored.result, product, user_id=user_id,
                                         team_id=stored.request.team_id)

    def open_product_modal(self, client: WebClient, *, kind: FollowUpKind, trigger_id: str, persona_id: str,
                           user_id: str, where: dict[str, Any]) -> None:
        lang = self.quick_lang(user_id)
        meta = json.dumps({"persona_id": persona_id, "where": where})
        self._open_modal(client, trigger_id, views.product_modal(kind, lang, private_metadata=meta), where, user_id)

    def followup_from_modal(self, client: WebClient, *, callback_id: str, user_id: str, product: str,
                            private_metadata: str) -> None:
        meta = _load_json(private_metadata)
        self.followup(client, kind=_kind_id(self.product_modals, callback_id),
                      persona_id=str(meta.get("persona_id", "")), user_id=user_id,
                      where=dict(meta.get("where") or {}), product=product)


def _kind_id(pattern: re.Pattern[str], slack_id: str) -> str:
    """The kind id in an action or callback id; the whole id when it names no registered kind (for the log)."""
    match = pattern.match(slack_id)
    return match.group(1) if match else slack_id
