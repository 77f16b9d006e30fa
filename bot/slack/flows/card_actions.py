"""The card's own buttons: Share to channel, feedback, Export and "All N apps"."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Lang
from bot.export import persona_csv, persona_markdown
from bot.export_pptx import persona_pptx
from bot.i18n import t
from bot.models import PersonaResult
from bot.mrkdwn import escape, truncate
from bot.slack.blocks import card as cards
from bot.slack.blocks.export_menu import parse_export_value
from bot.slack.blocks.feedback import parse_vote
from bot.slack.flows.base import FlowsBase
from bot.slack.flows.permissions import may_use
from bot.slack.surfaces import ResponseUrlSurface, SurfaceError
from bot.store import Feedback, StoredPersona
from bot.text_render import app_line

log = logging.getLogger(__name__)

# A private note's text; Slack shows up to 40,000 characters, but a list longer than this is no longer readable.
MAX_NOTICE_TEXT = 3900

# Slack's answers when a message cannot go where it was sent, mapped to what we tell the user.
SHARE_REFUSALS = {
    "channel_not_found": "msg.share_private",
    "not_in_channel": "msg.share_private",
    "is_archived": "msg.share_archived",
    "restricted_action": "msg.share_restricted",
    "restricted_action_read_only_channel": "msg.share_restricted",
}


class CardActionFlows(FlowsBase):
    def share(self, client: WebClient, *, persona_id: str, user_id: str, channel: str, response_url: str,
              team_id: str | None = None) -> None:
        stored = self.stored(persona_id)
        lang = stored.request.lang if stored else self.quick_lang(user_id)
        reply: dict[str, Any] = {"text": t("msg.expired", lang)}
        # Share is offered on the requester's own ephemeral card only; posting it is theirs to decide.
        if stored is not None and not may_use(stored, user_id=user_id, team_id=team_id, where={},
                                              requester_only=True):
            log.warning("persona_use_refused", extra={"action": "share", "persona_id": persona_id})
            reply, stored = {"text": t("msg.not_your_persona", lang)}, None
        collapse = False
        if stored is not None:
            try:
                posted: list[str] = []

                def post(card: dict[str, Any]) -> None:
                    posted.append(str(client.chat_postMessage(channel=channel, **card)["ts"]))

                self.send_card(post, stored.result, ephemeral=False, team_id=team_id, shared=True)
                self.link_thread(channel, posted[-1], stored.result.id)
                # The private copy becomes a note, so the card does not show twice in the channel.
                reply, collapse = {"text": t("msg.shared_collapsed", lang, channel=channel)}, True
            except SlackApiError as exc:
                error = str(exc.response.get("error", ""))
                key = SHARE_REFUSALS.get(error, "msg.share_failed")
                reply = cards.error_message(t(key, lang, error=error), lang)
        try:
            ResponseUrlSurface(response_url, replace_first=collapse).show(reply)
        except SurfaceError as exc:
            log.warning("share_reply_failed", extra={"error": exc.error})

    def more_apps(self, client: WebClient, *, persona_id: str, user_id: str, where: dict[str, Any]) -> None:
        """Every grounding app of a card, privately next to it (the card itself shows the top few)."""
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        result = stored.result
        lang = result.meta.lang
        lines = [escape(app_line(app, lang, labels=result.categories)) for app in result.apps]
        text = truncate("\n".join([f"*{t('grounded_on', lang, n=len(result.apps))}*", *lines]), MAX_NOTICE_TEXT)
        self._notice(client, where, user_id, text)

    def feedback(self, *, persona_id: str, user_id: str, vote: str, response_url: str | None,
                 client: WebClient, where: dict[str, Any], team_id: str | None = None) -> None:
        stored = self.stored(persona_id)
        lang = stored.request.lang if stored else self.quick_lang(user_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        if not self.allowed(client, stored, "feedback", user_id=user_id, team_id=team_id, where=where):
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

    def feedback_vote(self, *, value: str, user_id: str, response_url: str | None, client: WebClient,
                      where: dict[str, Any], team_id: str | None = None) -> None:
        """A click on the feedback buttons: the value says the vote and the persona (`up:<id>`)."""
        parsed = parse_vote(value)
        if parsed is None:
            log.warning("feedback_unreadable")
            self.expired(client, where, user_id)
            return
        vote, persona_id = parsed
        self.feedback(persona_id=persona_id, user_id=user_id, vote=vote, response_url=response_url, client=client,
                      where=where, team_id=team_id)

    def export(self, client: WebClient, *, value: str, user_id: str, where: dict[str, Any],
               team_id: str | None = None) -> None:
        """The Export menu's choice (`<format>:<persona id>`), uploaded to the card's thread or else the user's DM."""
        formats, persona_id = parse_export_value(value)
        stored = self.stored(persona_id)
        if stored is None:
            self.expired(client, where, user_id)
            return
        if not self.allowed(client, stored, "export", user_id=user_id, team_id=team_id, where=where):
            return
        lang = stored.request.lang
        public = bool(not where.get("ephemeral") and where.get("ts"))
        try:
            if public:
                try:
                    self._upload(client, stored.result, lang, formats, where["channel"],
                                 where.get("thread_ts") or where["ts"])
                    return
                except SlackApiError as exc:
                    # Sharing files needs membership (chat:write.public covers messages only), e.g. a card shared
                    # to a channel the app never joined: the user's DM still works.
                    log.warning("export_in_thread_failed", extra={"error": exc.response.get("error")})
            # An ephemeral card has no thread; the files go to the user's DM with the app instead.
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            self._upload(client, stored.result, lang, formats, dm, None)
            if public:
                self._notice(client, where, user_id, t("export.failed", lang))
        except SlackApiError as exc:
            log.warning("export_failed", extra={"error": exc.response.get("error")})
            self._notice(client, where, user_id, t("export.failed", lang))

    def allowed(self, client: WebClient, stored: StoredPersona, action: str, *, user_id: str, team_id: str | None,
                where: dict[str, Any]) -> bool:
        """True when the clicking user may see this persona; otherwise they are told so, privately."""
        if may_use(stored, user_id=user_id, team_id=team_id, where=where):
            return True
        log.warning("persona_use_refused", extra={"action": action, "persona_id": stored.result.id})
        self._notice(client, where, user_id, t("msg.not_your_persona", self.quick_lang(user_id)))
        return False

    @staticmethod
    def _upload(client: WebClient, result: PersonaResult, lang: Lang, formats: list[str], channel: str,
                thread_ts: str | None) -> None:
        files = {
            "markdown": lambda: {"content": persona_markdown(result), "filename": f"persona-{result.id}.md",
                                 "title": t("export.markdown", lang)},
            "csv": lambda: {"content": persona_csv(result), "filename": f"persona-{result.id}.csv",
                            "title": t("export.csv", lang)},
            "pptx": lambda: {"content": persona_pptx(result), "filename": f"persona-{result.id}.pptx",
                             "title": t("export.pptx", lang)},
        }
        client.files_upload_v2(channel=channel, thread_ts=thread_ts, initial_comment=t("export.comment", lang),
                               file_uploads=[files[fmt]() for fmt in formats])
