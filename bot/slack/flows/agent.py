"""The agent conversation in the app's Messages tab, and questions asked with a mention in a card's thread.

Opening the Messages tab offers the suggested prompts. A message there starts a thread: the bot titles it, shows
a status with loading messages while it works, and answers with a card. A reply in a thread that holds a card is a
question about that persona (bot/slack/flows/chat.py), unless it is a pasted app list, which makes a new card.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.mrkdwn import unescape_incoming
from bot.slack.agent_status import set_title, show_status, suggest_prompts
from bot.slack.blocks import views
from bot.slack.flows.chat import ChatFlows
from bot.slack.flows.persona import PersonaFlows
from bot.slack.surfaces import MessageSurface, SurfaceError

log = logging.getLogger(__name__)


class AgentFlows(PersonaFlows, ChatFlows):
    def messages_tab_opened(self, client: WebClient, *, user_id: str, channel: str | None) -> None:
        if channel:
            suggest_prompts(client, channel, self.lang_for(client, user_id))

    def _is_question(self, text: str) -> bool:
        # In a card's thread, only a pasted list asks for a new card; anything else is about the card's persona.
        request = self.classify(text)
        return request is not None and request.kind != "apps"

    def mention(self, client: WebClient, *, user_id: str, text: str, channel: str, thread_ts: str | None,
                ts: str | None, team_id: str | None = None) -> None:
        """A mention: a question when it is in a card's thread, else a persona in the thread of the mention."""
        if thread_ts and self._is_question(text) and self.answer_in_thread(
                client, user_id=user_id, text=text, channel=channel, thread_ts=thread_ts, team_id=team_id):
            return
        self.in_thread(client, user_id=user_id, text=text, channel=channel, thread_ts=thread_ts or ts,
                       team_id=team_id)

    def agent_message(self, client: WebClient, *, user_id: str, text: str, channel: str, ts: str,
                      thread_ts: str | None, team_id: str | None = None) -> None:
        """A message in the agent conversation: a question in a card's thread, else a card in the message's thread."""
        if thread_ts and self._is_question(text) and self.answer_in_thread(
                client, user_id=user_id, text=text, channel=channel, thread_ts=thread_ts, team_id=team_id):
            return
        root = thread_ts or ts
        lang = self.lang_for(client, user_id)
        request = self.classify(text)
        surface = MessageSurface(client, channel, thread_ts=root)
        if request is None:
            try:
                surface.show(views.help_message(lang, with_button=False))
            except SurfaceError as exc:
                log.warning("cannot_post", extra={"error": exc.error})
            return
        if not thread_ts:
            set_title(client, channel, root, unescape_incoming(text))
        # The status stands in for "working on it": Slack shows it under the thread until the bot's first reply.
        show_status(client, channel, root, lang)
        request.lang, request.team_id = lang, team_id
        self.deliver(surface, request, user_id)
