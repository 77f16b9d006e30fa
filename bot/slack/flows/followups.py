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

from bot.followups import FollowUpKind, UnknownFollowUpKind, asked_product, get_kind, streamed_as_is
from bot.followups.registry import action_pattern, product_modal_pattern
from bot.i18n import t
from bot.rate_limit import RateLimited
from bot.slack.blocks import card as cards
from bot.slack.blocks import views
from bot.slack.flows.base import FlowsBase, _load_json
from bot.slack.streaming import Ending, ThreadStream
from bot.slack.surfaces import MessageSurface, Surface, SurfaceError
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
            self._write_and_show(client, surface, found, stored, product, user_id, where)
        except RateLimited as exc:
            self._safe_show(surface, cards.error_message(t("msg.rate_limited", lang, seconds=exc.retry_after), lang))
        except Exception:
            log.exception("followup_failed")
            self._safe_show(surface, cards.error_message(t("msg.unexpected", lang), lang))

    def _write_and_show(self, client: WebClient, surface: Surface, kind: FollowUpKind, stored: StoredPersona,
                        product: str | None, user_id: str, where: dict[str, Any]) -> None:
        """Writes the report once (cache, rate limits, single-flight) and shows it in the card's thread.

        A report the model writes now streams into the thread as it is written, where a message can be streamed
        (not on an ephemeral card); it then ends with the report's footer and feedback buttons, or is replaced
        by the checked report when that says something else. Any other report (cached, offline, written by
        another request, or one Slack would not stream) replaces the "working" message, in as many messages as
        it needs.
        """
        lang = stored.request.lang
        stream = self._stream_for(client, surface, kind, product, lang, user_id, where, stored)
        report = self.followups.write_once(self.service, kind.id, stored.result, product, user_id=user_id,
                                           team_id=stored.request.team_id,
                                           on_text=stream.write if stream else None)
        first, *more = views.followup_messages(report, lang)
        ending = Ending.NOT_STREAMED
        if stream is not None:
            replace = not streamed_as_is(report, stream.streamed_text)
            if replace and stream.shown:
                log.warning("streamed_followup_replaced", extra={"persona_id": stored.result.id, "kind": kind.id})
            ending = stream.finish(views.followup_end_blocks(report, lang), first, replace=replace)
        if ending is Ending.STREAMED:
            return
        if ending is Ending.NOT_STREAMED and surface.ephemeral:
            surface.add(first)
        elif ending is Ending.NOT_STREAMED:
            self._show_in_place(surface, first)
        for payload in more:
            surface.add(payload)

    @staticmethod
    def _show_in_place(surface: Surface, payload: dict[str, Any]) -> None:
        """Replaces the "working" message; a new message if it is gone (a retried job whose first run streamed)."""
        try:
            surface.show(payload)
        except SurfaceError as exc:
            if exc.error != "message_not_found" or not isinstance(surface, MessageSurface):
                raise
            surface.ts = None
            surface.show(payload)

    def _stream_for(self, client: WebClient, surface: Surface, kind: FollowUpKind, product: str | None,
                    lang: str, user_id: str, where: dict[str, Any], stored: StoredPersona) -> ThreadStream | None:
        """A stream into the card's thread, or None where the report comes whole: without a model that streams,
        or for an ephemeral card, which has no thread to stream into (its answers go through the response_url)."""
        if not self.followups.streams or not isinstance(surface, MessageSurface) or not surface.thread_ts:
            return None
        heading = views.followup_heading(kind.id, asked_product(kind.id, product), lang)
        # The "working" message gives way to the stream once the stream's message is there.
        return ThreadStream(client, surface.channel, surface.thread_ts, user_id=user_id,
                            team_id=where.get("team_id") or stored.request.team_id,
                            opening=f"**{heading}**\n\n", on_open=surface.remove)

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
