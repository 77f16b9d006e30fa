"""Persona delivery: `/persona`, mentions, DMs, the message shortcut, segment picks and Regenerate."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient

from bot import metrics
from bot.errors import EmptyAppList, NoKnownApps, PersonaError, ScoresOutOfRange, UnknownSegment
from bot.i18n import t
from bot.models import PersonaResult
from bot.mrkdwn import unescape_incoming
from bot.parsing import looks_like_app_list, parse_app_list
from bot.rate_limit import RateLimited
from bot.service import PreparedPersona
from bot.slack import friendly_errors
from bot.slack.blocks import card as cards
from bot.slack.blocks import views
from bot.slack.flows.base import FlowsBase
from bot.slack.flows.permissions import may_use
from bot.slack.surfaces import MessageSurface, ResponseUrlSurface, Surface, SurfaceError
from bot.store import PersonaRequest, StoredPersona

log = logging.getLogger(__name__)


class PersonaFlows(FlowsBase):
    def classify(self, text: str) -> PersonaRequest | None:
        """A segment name or a pasted app list (message or command text, as Slack escaped it); None for help."""
        text = unescape_incoming(text).strip()
        if not text or text.casefold() in {"help", "幫助", "帮助", "?"}:
            return None
        # Text without a single usable name (only scores or punctuation) is a paste that failed, not a segment
        # name: answering with an example list helps more than "no segment called '0.9, 0.8'". The rest of a
        # runaway paste is cut later anyway, so its kind is judged on the part that will be used.
        head = text[: self.settings.max_input_chars]
        kind = "apps" if not parse_app_list(head).apps or looks_like_app_list(head) else "segment"
        return PersonaRequest(kind=kind, query=text, lang=self.settings.default_lang)

    def deliver(self, surface: Surface, request: PersonaRequest, user_id: str, *, refresh: bool = False) -> None:
        """Working → data part → card, on one surface. Errors become friendly messages on the same surface.

        Each delivery ends in one `persona_request` log line and metric with its outcome and latency.
        """
        started = time.perf_counter()
        outcome = self._deliver(surface, request, user_id, refresh=refresh)
        elapsed = time.perf_counter() - started
        metrics.PERSONA_REQUESTS.labels(outcome).inc()
        metrics.PERSONA_SECONDS.labels(outcome).observe(elapsed)
        log.info("persona_request", extra={"outcome": outcome, "input": request.kind, "refresh": refresh,
                                           "latency_ms": round(elapsed * 1000, 1)})

    def _deliver(self, surface: Surface, request: PersonaRequest, user_id: str, *, refresh: bool) -> str:
        lang = request.lang
        try:
            def show_data_part(prepared: PreparedPersona) -> None:
                surface.show(cards.progress_card(title=prepared.title, apps=prepared.grounding.apps,
                                                 demographics=prepared.demographics, lang=lang))

            result = self.service.run(request, user_id=user_id, refresh=refresh, on_prepared=show_data_part)
            self.store.put(StoredPersona(result=result, request=request, user_id=user_id))
            if isinstance(surface, MessageSurface):
                # A card in a thread (or starting one): replies there are questions about this persona. Linked
                # before the card shows, so a question asked the moment it appears finds it.
                self.link_thread(surface.channel, surface.thread_ts or surface.ts, result.id)
            self.send_card(surface.show, result, ephemeral=surface.ephemeral, team_id=request.team_id)
            return _card_outcome(result)
        except UnknownSegment as exc:
            self._safe_show(surface, cards.error_message(t("msg.unknown_segment", lang, query=exc.query), lang,
                                                         suggestions=exc.suggestions))
            return "unknown_segment"
        except EmptyAppList:
            self._safe_show(surface, cards.error_message(t("msg.empty_list", lang), lang,
                                                         example=EmptyAppList.EXAMPLE))
            return "empty_list"
        except (NoKnownApps, ScoresOutOfRange) as exc:
            self._safe_show(surface, cards.error_message(_bad_paste_message(exc, lang), lang,
                                                         example=EmptyAppList.EXAMPLE))
            return "no_known_apps" if isinstance(exc, NoKnownApps) else "scores_out_of_range"
        except RateLimited as exc:
            self._safe_show(surface, cards.error_message(t("msg.rate_limited", lang, seconds=exc.retry_after), lang))
            return "rate_limited"
        except PersonaError as exc:
            # Warehouse and settings failures: details for the operator, a generic message for the user.
            key, fields = friendly_errors.classify(exc)
            log.warning("persona_error", extra=fields)
            metrics.ERRORS.labels("persona").inc()
            self._safe_show(surface, cards.error_message(friendly_errors.user_message(key, lang), lang))
            return "error"
        except Exception as exc:
            key, fields = friendly_errors.classify(exc)
            log.exception("persona_failed", extra=fields)
            metrics.ERRORS.labels("persona").inc()
            self._safe_show(surface, cards.error_message(friendly_errors.user_message(key, lang), lang))
            return "failed"

    def command_ack(self, text: str, user_id: str) -> dict[str, Any] | None:
        """Help goes straight into the ack; a request is acked empty and answered through the response_url."""
        if self.classify(text) is None:
            return views.help_message(self.quick_lang(user_id))
        return None

    def command(self, client: WebClient, *, user_id: str, text: str, response_url: str,
                team_id: str | None = None) -> None:
        """`/persona …` after the ack: working → data part → card, each replacing the one before."""
        request = self.classify(text)
        if request is None:
            return
        # A message that came with the ack cannot be replaced through the response_url, so "working" is posted here.
        surface = ResponseUrlSurface(response_url)
        request.lang, request.team_id = self.lang_for(client, user_id), team_id
        try:
            surface.show(cards.working_message(request.lang))
        except SurfaceError as exc:
            log.warning("response_url_failed", extra={"error": exc.error})
            return
        self.deliver(surface, request, user_id)

    def pick_segment(self, client: WebClient, *, segment_id: str, user_id: str, where: dict[str, Any],
                     team_id: str | None = None) -> None:
        """A click on one of the suggested segments: the card replaces the suggestions."""
        request = PersonaRequest(kind="segment", query=segment_id, lang=self.lang_for(client, user_id), team_id=team_id)
        self.deliver(self.card_surface(client, where, replace=True), request, user_id)

    def in_thread(self, client: WebClient, *, user_id: str, text: str, channel: str, thread_ts: str | None,
                  team_id: str | None = None) -> None:
        """Mentions, DMs and message shortcuts: answer in the thread of the message."""
        lang = self.lang_for(client, user_id)
        surface = MessageSurface(client, channel, thread_ts=thread_ts)
        request = self.classify(text)
        try:
            if request is None:
                surface.show(views.help_message(lang, with_button=False))
                return
            request.lang, request.team_id = lang, team_id
            surface.show(cards.working_message(lang))
        except SurfaceError as exc:
            log.warning("cannot_post", extra={"error": exc.error})
            return
        self.deliver(surface, request, user_id)

    def shortcut(self, client: WebClient, *, user_id: str, text: str, channel: str, message_ts: str,
                 response_url: str | None = None, team_id: str | None = None) -> None:
        lang = self.lang_for(client, user_id)
        request = PersonaRequest(kind="apps", query=unescape_incoming(text), lang=lang, team_id=team_id)
        surface = MessageSurface(client, channel, thread_ts=message_ts)
        try:
            surface.show(cards.working_message(lang))
        except SurfaceError as exc:
            # The app cannot post there (e.g. a private channel it is not in): tell the user privately.
            self._notice(client, {"channel": channel, "ephemeral": True, "response_url": response_url}, user_id,
                         t("msg.cannot_post_here", lang, error=exc.error))
            return
        self.deliver(surface, request, user_id)

    def regenerate(self, client: WebClient, *, persona_id: str, user_id: str, where: dict[str, Any],
                   team_id: str | None = None) -> None:
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        if not may_use(stored, user_id=user_id, team_id=team_id, where=where):
            log.warning("persona_use_refused", extra={"action": "regenerate", "persona_id": persona_id})
            self._notice(client, where, user_id, t("msg.not_your_persona", self.quick_lang(user_id)))
            return
        surface = self.card_surface(client, where, replace=True)
        self.deliver(surface, stored.request, user_id, refresh=True)
        if not self.service.has_llm:
            # Otherwise the click seems to do nothing: say why the words stay the same and how to change that.
            self._notice(client, where, user_id, t("msg.regenerate_offline", stored.request.lang))


def _bad_paste_message(exc: NoKnownApps | ScoresOutOfRange, lang: str) -> str:
    """The user's own words back, named one by one: which apps are unknown, or which scores are out of range."""
    if isinstance(exc, ScoresOutOfRange):
        return t("msg.scores_out_of_range", lang, items=_names(exc.items))
    names = [
        t("msg.did_you_mean", lang, name=name, app=exc.suggestions[name]) if name in exc.suggestions else name
        for name in exc.names
    ]
    return t("msg.no_known_apps", lang, apps=_names(names))


def _names(items: list[str], limit: int = 8) -> str:
    return ", ".join(items[:limit]) + (", …" if len(items) > limit else "")


def _card_outcome(result: PersonaResult) -> str:
    if result.meta.cached:
        return "cached"
    if result.meta.note:
        return "fallback"  # an LLM was configured but failed: the offline draft with a note and Retry
    return result.meta.writer  # "llm" or "offline"
