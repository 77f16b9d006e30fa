"""The gate every Slack request passes after Bolt has verified its signature and before any listener runs.

- Replays: a signed request is accepted once. Slack's requests carry a unique trigger or event id and each
  delivery is signed afresh, so the same signature twice means someone re-sent a captured request: 401,
  nothing processed. Typeahead lookups, which change nothing, are exempt.
- Duplicates: Slack re-delivers an event it thinks we missed (`X-Slack-Retry-Num`) and may deliver one twice;
  an event id is handled once, later copies get a 200 with `X-Slack-No-Retry` and nothing else.
- Access: only the configured workspaces and channels are served; everyone else gets a polite refusal.

It also opens the request's log context, so every line written while handling it names the request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.config import Settings
from bot.i18n import t
from bot.request_context import begin
from bot.slack.seen_keys import SeenKeys

log = logging.getLogger(__name__)

# Bolt rejects timestamps more than 5 minutes off, so a signature needs remembering a little longer than that.
REPLAY_WINDOW = 10 * 60
# Slack retries a missed event three times within about 5 minutes.
EVENT_WINDOW = 60 * 60
# The header the HTTP server stamps its request id into, so the access line and the handling lines share it.
REQUEST_ID_HEADER = "x-persona-request-id"


def request_kind(body: dict[str, Any]) -> str:
    """A small fixed vocabulary for logs and metric labels: never free text from the payload."""
    if "command" in body:
        return "command"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        event_type = str((body.get("event") or {}).get("type") or "unknown")
        return f"event:{event_type}" if event_type.replace("_", "").isalnum() else "event:unknown"
    return kind if kind.replace("_", "").isalnum() else "unknown"


def _dig(body: dict[str, Any], *keys: str) -> Any:
    value: Any = body
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _team_of(body: dict[str, Any]) -> Any:
    team = body.get("team")
    return team.get("id") if isinstance(team, dict) else team or body.get("team_id")


def _ids(values: set[Any]) -> set[str]:
    return {v for v in values if isinstance(v, str) and v}


def actor_ids(context: BoltContext, body: dict[str, Any]) -> set[str]:
    """Every workspace or org id that Slack says the acting person belongs to; empty when it says none.

    - Bolt's actor ids (`context.actor_team_id`, `actor_enterprise_id`), which read `event.user_team` and
      `event.team` in Slack Connect channels (`is_ext_shared_channel`);
    - `event.user_team` on any event, whether or not the envelope flags the channel as shared;
    - `user.team_id` of interactivity payloads, and `team.id` when `view.app_installed_team_id` names a
      different workspace: a modal opened from a Slack Connect channel carries the user's workspace in `team`
      and ours in `view.app_installed_team_id`, and Bolt takes the latter as the team (and the actor's team).
    """
    ids = {context.actor_team_id, context.actor_enterprise_id, _dig(body, "event", "user_team"),
           _dig(body, "user", "team_id")}
    installed = _dig(body, "view", "app_installed_team_id")
    if installed is not None and isinstance(body.get("team"), dict):
        ids.add(body["team"].get("id"))
        ids.discard(installed if installed != body["team"].get("id") else None)
    return _ids(ids)


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or []
    return values[0] if values else None


class SlackGuard:
    def __init__(self, settings: Settings, seen: SeenKeys, quick_lang: Callable[[str], str], executor: Executor):
        self.allowed_teams = settings.allowed_teams
        self.allowed_channels = settings.allowed_channels
        self.seen = seen
        self.quick_lang = quick_lang
        self.executor = executor

    # Bolt injects these by name.
    def __call__(
        self, req: BoltRequest, context: BoltContext, body: dict[str, Any], client: WebClient,
        next: Callable[[], None],
    ) -> BoltResponse | None:
        kind = request_kind(body)
        begin(
            _header(req, REQUEST_ID_HEADER),
            kind=kind,
            team_id=context.enterprise_id if context.is_enterprise_install else context.team_id,
            user_id=context.user_id,
            channel_id=context.channel_id,
        )
        decision = self._decide(req, context, body, client, kind)
        metrics.SLACK_REQUESTS.labels(kind, "handled" if decision is None else decision[0]).inc()
        if decision is None:
            next()
            return None
        return decision[1]

    def _decide(
        self, req: BoltRequest, context: BoltContext, body: dict[str, Any], client: WebClient, kind: str
    ) -> tuple[str, BoltResponse] | None:
        signature = _header(req, "x-slack-signature")
        retry_num = _header(req, "x-slack-retry-num")
        is_event = body.get("type") == "event_callback"
        # Slack's event retries may repeat a signature; the event id below catches those, so only they skip this
        # (the retry header is not signed: on anything else it would open a way around the check). A typeahead
        # carries nothing unique and only reads segment names, so a replay of one gains nothing.
        if signature and not (is_event and retry_num is not None) and kind != "block_suggestion":
            digest = hashlib.sha256(signature.encode()).hexdigest()
            if not self.seen.first_time(f"sig:{digest}", REPLAY_WINDOW):
                log.warning("slack_replay_rejected")
                return "replay", BoltResponse(status=401, body=json.dumps({"error": "replayed request"}))

        event_id = body.get("event_id")
        if (
            is_event
            and event_id
            and not self.seen.first_time(f"event:{event_id}", EVENT_WINDOW)
        ):
            log.info("slack_duplicate_ignored", extra={"event_id": str(event_id), "retry_num": retry_num})
            return "duplicate", BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})

        if not self._install_allowed(context, body):
            log.info("slack_request_refused", extra={"reason": "team_not_allowed"})
            return "refused", self._refuse(body, context, client, "msg.team_not_allowed", kind, can_call_api=False)
        if not self._actor_allowed(context, body):
            # Our install, someone else's person (a Slack Connect channel, a modal opened from one): our token
            # works there, so they are told why.
            log.info("slack_request_refused", extra={"reason": "user_not_allowed"})
            return "refused", self._refuse(body, context, client, "msg.user_not_allowed", kind, can_call_api=True)
        if not self._channel_allowed(context.channel_id):
            log.info("slack_request_refused", extra={"reason": "channel_not_allowed"})
            return "refused", self._refuse(body, context, client, "msg.channel_not_allowed", kind, can_call_api=True)
        return None

    def _install_allowed(self, context: BoltContext, body: dict[str, Any]) -> bool:
        """The workspace or org whose install received the request is listed.

        An org-wide install is matched by its enterprise id, or by the workspace of the org where the request
        happened (its interactivity payloads may carry no `team` at all, only `user.team_id`).
        """
        if not self.allowed_teams:
            return True
        ids = {context.team_id, context.enterprise_id}
        if context.is_enterprise_install:
            ids |= {_team_of(body), _dig(body, "user", "team_id"), _dig(body, "view", "team_id")}
        return bool(_ids(ids) & self.allowed_teams)

    def _actor_allowed(self, context: BoltContext, body: dict[str, Any]) -> bool:
        """The person acting belongs to a listed workspace or org, not only the install they reached it through."""
        if not self.allowed_teams:
            return True
        actor = actor_ids(context, body)
        return not actor or bool(actor & self.allowed_teams)

    def _channel_allowed(self, channel_id: str | None) -> bool:
        # DMs with the bot and surfaces without a channel (App Home, modals) are the user's own.
        if not self.allowed_channels or not channel_id or channel_id.startswith("D"):
            return True
        return channel_id in self.allowed_channels

    def _refuse(
        self, body: dict[str, Any], context: BoltContext, client: WebClient, key: str, kind: str, *,
        can_call_api: bool,
    ) -> BoltResponse:
        if kind == "block_suggestion":
            return BoltResponse(status=200, body=json.dumps({"options": []}),
                                headers={"content-type": "application/json"})
        channel, user = context.channel_id, context.user_id
        if kind == "command":
            # The ack itself carries the refusal: no API call, and only the user sees it.
            text = t(key, self.quick_lang(user or ""))
            return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": text}),
                                headers={"content-type": "application/json"})
        response_url = body.get("response_url")
        mention = can_call_api and channel and user and kind == "event:app_mention"
        if response_url or mention:

            def show() -> None:
                text = t(key, self.quick_lang(user or ""))
                try:
                    if response_url:
                        WebhookClient(response_url, timeout=5).send(text=text, response_type="ephemeral",
                                                                    replace_original=False)
                    else:
                        client.chat_postEphemeral(channel=channel, user=user, text=text)
                except Exception as exc:  # a refusal that cannot be shown is logged, never retried into a storm
                    log.warning("refusal_not_shown", extra={"error": type(exc).__name__})

            # After the ack, like every other answer, on the listener pool: the refusal must not make Slack wait.
            self.executor.submit(show)
        return BoltResponse(status=200, body="")
