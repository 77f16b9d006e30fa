"""What the Slack app does for each user action, independent of how Bolt delivers the request.

Handlers in `handlers/` only pick ids and text out of Slack's payloads and call one method here. Every method
catches what can go wrong and shows the user a friendly message instead: nothing here raises to Bolt.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import cards, metrics, views
from bot.config import LANGS, Lang, Settings
from bot.errors import EmptyAppList, PersonaError, UnknownSegment
from bot.export import persona_csv, persona_markdown
from bot.followups import FollowUpReport, FollowUpService
from bot.i18n import t
from bot.models import PersonaResult
from bot.mrkdwn import unescape_incoming
from bot.parsing import looks_like_app_list, parse_app_list
from bot.rate_limit import RateLimited
from bot.service import PersonaService
from bot.slack_surfaces import MessageSurface, ResponseUrlSurface, Surface, SurfaceError
from bot.store import Feedback, PersonaRequest, PersonaStore, StoredPersona
from bot.user_langs import UserLangs

log = logging.getLogger(__name__)

# Slack's answers when a message cannot go where it was sent, mapped to what we tell the user.
SHARE_REFUSALS = {
    "channel_not_found": "msg.share_private",
    "not_in_channel": "msg.share_private",
    "is_archived": "msg.share_archived",
    "restricted_action": "msg.share_restricted",
    "restricted_action_read_only_channel": "msg.share_restricted",
}


class SlackFlows:
    def __init__(
        self,
        settings: Settings,
        service: PersonaService,
        store: PersonaStore,
        followups: FollowUpService,
        generate: Callable[..., PersonaResult] | None = None,
    ):
        self.settings = settings
        self.service = service
        self.store = store
        self.followups = followups
        self.langs = UserLangs(store, settings.default_lang)
        # generate(prepared, refresh=bool) -> PersonaResult; the cache layer plugs in here.
        self._generate = generate or (lambda prepared, refresh=False, **_: service.write(prepared))
        # With a cache-aware generator (bot.generation.Generator), follow-ups are cached and single-flighted too.
        self._followup_cache = getattr(generate, "followup", None)
        self._followup_key = getattr(generate, "followup_key", None)

    # --- language ---------------------------------------------------------------------------------------------

    def lang_for(self, client: WebClient, user_id: str, explicit: str | None = None) -> Lang:
        return self.langs.resolve(client, user_id, explicit)

    def quick_lang(self, user_id: str) -> Lang:
        """The language we know without calling Slack: for acks, which must not wait on the network."""
        return self.langs.known(user_id)

    # --- personas ---------------------------------------------------------------------------------------------

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
            if request.kind == "segment":
                grounding = self.service.ground_segment(self.service.find_segment(request.query))
            else:
                grounding = self.service.ground_apps(request.query)
            prepared = self.service.prepare(grounding, lang)
            surface.show(
                cards.progress_card(
                    title=prepared.title,
                    apps=grounding.apps,
                    demographics=prepared.demographics,
                    lang=lang,
                )
            )
            result = self._generate(prepared, refresh=refresh, user_id=user_id, team_id=request.team_id)
            self.store.put(StoredPersona(result=result, request=request, user_id=user_id))
            surface.show(self._card(result, ephemeral=surface.ephemeral))
            return _card_outcome(result)
        except UnknownSegment as exc:
            self._safe_show(surface, cards.error_message(t("msg.unknown_segment", lang, query=exc.query), lang,
                                                         suggestions=exc.suggestions))
            return "unknown_segment"
        except EmptyAppList:
            self._safe_show(surface, cards.error_message(t("msg.empty_list", lang), lang,
                                                         example=EmptyAppList.EXAMPLE))
            return "empty_list"
        except RateLimited as exc:
            self._safe_show(surface, cards.error_message(t("msg.rate_limited", lang, seconds=exc.retry_after), lang))
            return "rate_limited"
        except PersonaError as exc:
            # Warehouse and settings failures: already worded for users, and worth an operator's look.
            log.warning("persona_error", extra={"error_type": type(exc).__name__, "error": str(exc)})
            metrics.ERRORS.labels("persona").inc()
            self._safe_show(surface, cards.error_message(str(exc), lang))
            return "error"
        except Exception:
            log.exception("persona_failed")
            metrics.ERRORS.labels("persona").inc()
            self._safe_show(surface, cards.error_message(t("msg.unexpected", lang), lang))
            return "failed"

    def _card(self, result: PersonaResult, *, ephemeral: bool) -> dict[str, Any]:
        cached_ago = views.time_ago(result.meta.generated_at, result.meta.lang) if result.meta.cached else None
        return cards.persona_card(result, ephemeral=ephemeral, cached_ago=cached_ago)

    @staticmethod
    def _safe_show(surface: Surface, payload: dict[str, Any]) -> None:
        try:
            surface.show(payload)
        except Exception:
            log.exception("could_not_show_error")

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

    # --- buttons on a card ------------------------------------------------------------------------------------

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

    def share(self, client: WebClient, *, persona_id: str, user_id: str, channel: str, response_url: str) -> None:
        stored = self.stored(persona_id)
        lang = stored.request.lang if stored else self.quick_lang(user_id)
        reply: dict[str, Any] = {"text": t("msg.expired", lang)}
        if stored is not None:
            try:
                client.chat_postMessage(channel=channel, **self._card(stored.result, ephemeral=False))
                reply = {"text": t("msg.shared", lang, channel=channel)}
            except SlackApiError as exc:
                error = str(exc.response.get("error", ""))
                key = SHARE_REFUSALS.get(error, "msg.share_failed")
                reply = cards.error_message(t(key, lang, error=error), lang)
        try:
            ResponseUrlSurface(response_url).add(reply)
        except SurfaceError as exc:
            log.warning("share_reply_failed", extra={"error": exc.error})

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

        if self._followup_cache is None or self._followup_key is None:
            return compute()
        key = self._followup_key(stored.result, kind, product)
        report: FollowUpReport = self._followup_cache(key, FollowUpReport, compute, user_id=user_id,
                                                      team_id=stored.request.team_id)
        return report

    def regenerate(self, client: WebClient, *, persona_id: str, user_id: str, where: dict[str, Any]) -> None:
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        surface = self.card_surface(client, where, replace=True)
        self.deliver(surface, stored.request, user_id, refresh=True)

    def feedback(self, *, persona_id: str, user_id: str, vote: str, response_url: str | None,
                 client: WebClient, where: dict[str, Any]) -> None:
        stored = self.stored(persona_id)
        lang = stored.request.lang if stored else self.quick_lang(user_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        self.store.add_feedback(Feedback(persona_id=persona_id, user_id=user_id, vote="up" if vote == "up" else "down"))
        log.info("feedback", extra={"persona_id": persona_id, "user_id": user_id, "vote": vote})
        thanks = t("msg.feedback_thanks", lang)
        channel = where.get("channel")
        # Next to a public card (in its thread, if it is a reply); where that fails, the response_url still works.
        public = bool(channel and not where.get("ephemeral"))
        if public and self._ephemeral(client, str(channel), user_id, thanks, thread_ts=where.get("thread_ts")):
            return
        if response_url:
            ResponseUrlSurface(response_url).add({"text": thanks})

    def export(self, client: WebClient, *, persona_id: str, user_id: str, where: dict[str, Any]) -> None:
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        lang = stored.request.lang
        public = bool(not where.get("ephemeral") and where.get("ts"))
        try:
            if public:
                try:
                    self._upload(client, stored.result, lang, where["channel"], where.get("thread_ts") or where["ts"])
                    return
                except SlackApiError as exc:
                    # Sharing files needs membership (chat:write.public covers messages only), e.g. a card shared
                    # to a channel the app never joined: the user's DM still works.
                    log.warning("export_in_thread_failed", extra={"error": exc.response.get("error")})
            # An ephemeral card has no thread; the files go to the user's DM with the app instead.
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            self._upload(client, stored.result, lang, dm, None)
            if public:
                self._notice(client, where, user_id, t("export.failed", lang))
        except SlackApiError as exc:
            log.warning("export_failed", extra={"error": exc.response.get("error")})
            self._notice(client, where, user_id, t("export.failed", lang))

    @staticmethod
    def _upload(client: WebClient, result: PersonaResult, lang: Lang, channel: str, thread_ts: str | None) -> None:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            initial_comment=t("export.comment", lang),
            file_uploads=[
                {"content": persona_markdown(result), "filename": f"persona-{result.id}.md",
                 "title": t("export.markdown", lang)},
                {"content": persona_csv(result), "filename": f"persona-{result.id}.csv",
                 "title": t("export.csv", lang)},
            ],
        )

    # --- modals and App Home ----------------------------------------------------------------------------------

    def open_persona_modal(self, client: WebClient, *, trigger_id: str, user_id: str, channel: str | None,
                           response_url: str | None) -> None:
        lang = self.quick_lang(user_id)
        meta = json.dumps({"channel": channel, "response_url": response_url})
        where = {"channel": channel, "ephemeral": True, "response_url": response_url}
        self._open_modal(client, trigger_id, views.persona_modal(lang, private_metadata=meta), where, user_id)

    def open_competitor_modal(self, client: WebClient, *, trigger_id: str, persona_id: str, user_id: str,
                              where: dict[str, Any]) -> None:
        lang = self.quick_lang(user_id)
        meta = json.dumps({"persona_id": persona_id, "where": where})
        self._open_modal(client, trigger_id, views.competitor_modal(lang, private_metadata=meta), where, user_id)

    def _open_modal(self, client: WebClient, trigger_id: str, view: dict[str, Any], where: dict[str, Any],
                    user_id: str) -> None:
        try:
            client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            # Mostly expired_trigger_id: the click waited more than Slack's 3 s for a free worker.
            log.warning("views_open_failed", extra={"error": exc.response.get("error")})
            lang = self.quick_lang(user_id)
            self._notice(client, where, user_id, t("msg.unexpected", lang))

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

    def competitor_from_modal(self, client: WebClient, *, user_id: str, product: str, private_metadata: str) -> None:
        meta = _load_json(private_metadata)
        self.followup(client, kind="competitor", persona_id=str(meta.get("persona_id", "")), user_id=user_id,
                      where=dict(meta.get("where") or {}), product=product)

    def publish_home(self, client: WebClient, *, user_id: str) -> None:
        lang = self.lang_for(client, user_id)
        try:
            client.views_publish(user_id=user_id, view=views.home_view(lang, self.store.recent(user_id)))
        except SlackApiError as exc:
            # The tab keeps showing the last view it got; nothing to tell the user beyond that.
            log.warning("views_publish_failed", extra={"error": exc.response.get("error")})

    def set_lang(self, client: WebClient, *, user_id: str, lang: str) -> None:
        if lang in LANGS:
            self.store.set_lang(user_id, lang)  # type: ignore[arg-type]
        self.publish_home(client, user_id=user_id)

    def segment_options(self, query: str) -> list[dict[str, Any]]:
        return views.segment_options(self.service.search_segments(query, limit=20))


def _card_outcome(result: PersonaResult) -> str:
    if result.meta.cached:
        return "cached"
    if result.meta.note:
        return "fallback"  # an LLM was configured but failed: the offline draft with a note and Retry
    return result.meta.writer  # "llm" or "offline"


def _load_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
