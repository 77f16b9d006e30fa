"""The agent conversation's chrome: a status with loading messages while the bot works, thread titles and
suggested prompts. All of it is best effort: Slack may refuse a call (`invalid_thread_ts` outside an agent thread,
a missing scope, a rate limit), and a refused call is logged and never stops the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.mrkdwn import single_line, truncate

log = logging.getLogger(__name__)

# Slack's documented limits: up to 10 loading messages, up to 4 suggested prompts.
MAX_LOADING_MESSAGES = 10
MAX_PROMPTS = 4
MAX_TITLE = 100
PERSONA_LOADING = ("agent.loading_segment", "agent.loading_demographics", "agent.loading_writing")
ANSWER_LOADING = ("agent.loading_answer",)
PROMPTS = (
    ("agent.prompt_segment", "agent.prompt_segment_text"),
    ("agent.prompt_paste", "agent.prompt_paste_text"),
    ("agent.prompt_gamers", "agent.prompt_gamers_text"),
    ("agent.prompt_help", "agent.prompt_help_text"),
)


def show_status(client: WebClient, channel: str, thread_ts: str | None, lang: str,
                loading: Sequence[str] = PERSONA_LOADING) -> None:
    """"is working on your persona…" with the loading messages in the user's language; Slack clears it on reply."""
    if thread_ts:
        _best_effort("status_not_set", lambda: client.assistant_threads_setStatus(
            channel_id=channel, thread_ts=thread_ts, status=t("agent.status", lang),
            loading_messages=[t(key, lang) for key in loading][:MAX_LOADING_MESSAGES],
        ))


def set_title(client: WebClient, channel: str, thread_ts: str | None, title: str) -> None:
    title = truncate(single_line(title), MAX_TITLE)
    if thread_ts and title:
        _best_effort("title_not_set",
                     lambda: client.assistant_threads_setTitle(channel_id=channel, thread_ts=thread_ts, title=title))


def suggest_prompts(client: WebClient, channel: str, lang: str) -> None:
    """The agent view's suggested prompts. No thread_ts: for agent apps Slack sets them on the conversation."""
    prompts = [{"title": t(title, lang), "message": t(message, lang)} for title, message in PROMPTS][:MAX_PROMPTS]
    _best_effort("prompts_not_set", lambda: client.assistant_threads_setSuggestedPrompts(
        channel_id=channel, title=t("agent.prompts_title", lang), prompts=prompts))


def _best_effort(event: str, call: Callable[[], object]) -> None:
    """Runs a chrome call; Slack refusing it, or not answering, is logged under `event` and never raised."""
    try:
        call()
    except SlackApiError as exc:
        log.info(event, extra={"error": exc.response.get("error")})
    except OSError as exc:
        log.info(event, extra={"error": type(exc).__name__})
