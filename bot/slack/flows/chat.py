"""Questions about a persona in the thread of its card (a mention there, or a reply in the agent conversation).

A thread is linked to the persona of the card posted in it (`bot.store.ThreadChat`), so a reply there is read as a
question about that persona rather than a request for a new one. Answers are cached per persona, question and
language (`WriteOnce.followup`), and come back with the apps they rest on and the feedback buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient

from bot.cache import followup_key
from bot.chat import CHAT_PROMPT_VERSION, ChatAnswer, ChatWriter, Turn, question_key_text
from bot.config import Lang
from bot.i18n import t
from bot.mrkdwn import unescape_incoming
from bot.rate_limit import RateLimited
from bot.slack.agent_status import ANSWER_LOADING, show_status
from bot.slack.blocks import card as cards
from bot.slack.blocks.chat import answer_blocks, chat_message
from bot.slack.flows.base import FlowsBase
from bot.slack.flows.permissions import may_use
from bot.slack.streaming import Ending, ThreadStream
from bot.slack.surfaces import MessageSurface, SurfaceError
from bot.store import StoredPersona

log = logging.getLogger(__name__)


class ChatFlows(FlowsBase):
    def answer_in_thread(self, client: WebClient, *, user_id: str, text: str, channel: str, thread_ts: str | None,
                         team_id: str | None = None) -> bool:
        """Answers `text` as a question about the thread's persona; False when the thread holds no card."""
        chat = self.store.get_thread(channel, thread_ts) if thread_ts else None
        stored = self.stored(chat.persona_id) if chat else None
        if chat is None or stored is None or thread_ts is None:
            return False
        lang = self.lang_for(client, user_id)
        surface = MessageSurface(client, channel, thread_ts=thread_ts)
        if not may_use(stored, user_id=user_id, team_id=team_id, where={"channel": channel, "ts": thread_ts}):
            self._safe_show(surface, {"text": t("msg.not_your_persona", lang)})
            return True
        question = unescape_incoming(text).strip()
        show_status(client, channel, thread_ts, lang, ANSWER_LOADING)
        try:
            answer = self._answer_and_show(client, surface, stored, question, lang, chat.turns, user_id=user_id,
                                           team_id=team_id)
        except RateLimited as exc:
            self._safe_show(surface, cards.error_message(t("msg.rate_limited", lang, seconds=exc.retry_after), lang))
            return True
        except SurfaceError as exc:
            log.warning("cannot_post", extra={"error": exc.error})
            return True
        except Exception:
            log.exception("chat_failed")
            self._safe_show(surface, cards.error_message(t("msg.unexpected", lang), lang))
            return True
        log.info("chat_answer", extra={"persona_id": stored.result.id, "writer": answer.writer,
                                       "cached": answer.cached})
        turns = [*chat.turns, Turn(question=question, answer=answer.text)]
        self.store.put_thread(channel, thread_ts, chat.model_copy(update={"turns": turns}))
        return True

    def _answer_and_show(self, client: WebClient, surface: MessageSurface, stored: StoredPersona, question: str,
                         lang: Lang, turns: list[Turn], *, user_id: str, team_id: str | None) -> ChatAnswer:
        """Streams a newly written answer into the thread as the model writes it; posts any other in one message.

        A cached answer, an offline one, or one another request is already writing arrives as one message. A
        streamed answer that fails the checks is replaced in place by the checked (offline) one.
        """
        writer = ChatWriter(self.followups.llm)
        if not writer.streams:
            answer = self._cached(stored, question, lang, writer, lambda: writer.answer(stored.result, question,
                                                                                         lang, turns), user_id)
            surface.add(chat_message(answer, lang))
            return answer
        stream = ThreadStream(client, surface.channel, surface.thread_ts or "", user_id=user_id, team_id=team_id)
        answer = self._cached(stored, question, lang, writer,
                              lambda: writer.stream_answer(stored.result, question, lang, turns, stream.write), user_id)
        # The streamed text failed a check when the answer is not the model's: the message then says what the
        # data says instead.
        replace = answer.writer != "llm"
        if replace and stream.shown:
            log.warning("streamed_answer_replaced", extra={"persona_id": stored.result.id})
        message = chat_message(answer, lang)
        if stream.finish(answer_blocks(answer, lang), message, replace=replace) is Ending.NOT_STREAMED:
            surface.add(message)
        return answer

    def _cached(self, stored: StoredPersona, question: str, lang: Lang, writer: ChatWriter,
                compute: Callable[[], ChatAnswer], user_id: str) -> ChatAnswer:
        """One answer per persona, question and language, however many ask (`WriteOnce.followup`)."""
        writes = self.service.writes
        key = followup_key(stored.result.id, f"chat:{lang}", question_key_text(question),
                           model=writer.model_name, prompt_version=CHAT_PROMPT_VERSION)
        return writes.followup(key, ChatAnswer, compute, user_id=user_id, team_id=stored.request.team_id)
