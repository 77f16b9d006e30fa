"""Compare audiences: `/persona compare A B [C D]` and the card's "Compare with…" button and modal."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.compare import CompareInputError, compare_queries, compare_segments
from bot.compare_writer import with_written_summary
from bot.config import Lang
from bot.errors import UnknownSegment
from bot.i18n import t
from bot.mrkdwn import unescape_incoming
from bot.slack.blocks import card as cards
from bot.slack.blocks import compare as compare_blocks
from bot.slack.flows.base import FlowsBase, _load_json
from bot.slack.surfaces import MessageSurface, ResponseUrlSurface, Surface, SurfaceError

log = logging.getLogger(__name__)


class CompareFlows(FlowsBase):
    # The block ids of the modal's pickers, for the listener that reads them.
    compare_pickers = tuple((compare_blocks.compare_picker_block(n), compare_blocks.compare_picker_action(n))
                            for n in range(1, compare_blocks.OTHER_PICKERS + 1))

    @staticmethod
    def is_compare(text: str) -> bool:
        """`/persona compare …` (the text as Slack escaped it)."""
        return compare_queries(unescape_incoming(text)) is not None

    def compare_command(self, client: WebClient, *, user_id: str, text: str, response_url: str,
                        team_id: str | None = None) -> None:
        """`/persona compare A B …` after the ack: working → the comparison (or why not), via the response_url."""
        lang = self.lang_for(client, user_id)
        surface = ResponseUrlSurface(response_url)
        try:
            surface.show(cards.working_message(lang))
        except SurfaceError as exc:
            log.warning("response_url_failed", extra={"error": exc.error})
            return
        queries = compare_queries(unescape_incoming(text)) or []
        self.deliver_comparison(surface, queries, lang, user_id=user_id, team_id=team_id)

    def deliver_comparison(self, surface: Surface, queries: Sequence[str], lang: Lang, *, user_id: str,
                           team_id: str | None = None) -> None:
        """The comparison on `surface`; unknown segments get "did you mean", bad counts say what is needed."""
        writer = self.service.writer
        try:
            comparison = compare_segments(self.service, queries, lang)
            comparison = with_written_summary(comparison, self.service.writes,
                                              writer if writer.kind == "llm" else None,
                                              user_id=user_id, team_id=team_id)
            payload = compare_blocks.comparison_message(comparison)
            outcome = "ok"
        except UnknownSegment as exc:
            payload = cards.error_message(t("msg.unknown_segment", lang, query=exc.query), lang,
                                          suggestions=exc.suggestions)
            outcome = "unknown_segment"
        except CompareInputError as exc:
            payload, outcome = cards.error_message(t(exc.key, lang), lang), "bad_input"
        except Exception:
            log.exception("compare_failed")
            payload, outcome = cards.error_message(t("msg.unexpected", lang), lang), "failed"
        log.info("compare_request", extra={"outcome": outcome, "segments": len(queries)})
        self._safe_show(surface, payload)

    # --- the card's button and its modal ---------------------------------------------------------------------

    def open_compare_modal(self, client: WebClient, *, trigger_id: str, persona_id: str, user_id: str,
                           where: dict[str, Any]) -> None:
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        lang = stored.request.lang
        segment = stored.result.segment
        if segment is None:
            self._notice(client, where, user_id, t("compare.pasted", lang))
            return
        meta = json.dumps({"segment_id": segment.id, "lang": lang, "where": where})
        view = compare_blocks.compare_modal(lang, segment.localized_name(lang), private_metadata=meta)
        self._open_modal(client, trigger_id, view, where, user_id)

    def compare_modal_errors(self, user_id: str, picked: Sequence[str | None],
                             private_metadata: str) -> dict[str, str] | None:
        """Errors under the first picker when nothing (else) was picked; None when the modal can be answered."""
        own = _load_json(private_metadata).get("segment_id")
        if any(p and p != own for p in picked):
            return None
        lang = _load_json(private_metadata).get("lang") or self.quick_lang(user_id)
        return {compare_blocks.compare_picker_block(1): t("compare.modal.need_input", lang)}

    def compare_from_modal(self, client: WebClient, *, user_id: str, picked: Sequence[str | None],
                           private_metadata: str, team_id: str | None = None) -> None:
        if self.compare_modal_errors(user_id, picked, private_metadata) is not None:
            return  # refused in the ack; Bolt runs the lazy listener anyway
        meta = _load_json(private_metadata)
        own = str(meta.get("segment_id", ""))
        queries = list(dict.fromkeys([own, *(p for p in picked if p)]))
        lang = meta.get("lang") or self.quick_lang(user_id)
        where = dict(meta.get("where") or {})
        try:
            surface = self._comparison_surface(client, where, user_id)
            if not surface.ephemeral:
                surface.show(cards.working_message(lang))
        except (SurfaceError, SlackApiError) as exc:
            log.warning("compare_answer_failed", extra={"error": getattr(exc, "error", None) or str(exc)})
            return
        self.deliver_comparison(surface, queries, lang, user_id=user_id, team_id=team_id)

    def _comparison_surface(self, client: WebClient, where: dict[str, Any], user_id: str) -> Surface:
        """The card's thread for a public card; for an ephemeral one a new private message beside it (the
        response_url's first message replaces nothing)."""
        if where.get("ts") and not where.get("ephemeral"):
            return MessageSurface(client, where["channel"], thread_ts=where.get("thread_ts") or where["ts"])
        if where.get("response_url"):
            return ResponseUrlSurface(str(where["response_url"]))
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        return MessageSurface(client, dm)

