"""The Slack app factory: one Bolt `App` wired to the service, for Socket Mode and HTTP mode alike."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.errors import PersonaError
from bot.followups import FollowUpService
from bot.logging_setup import quiet_libraries
from bot.redis_conn import RedisOptions, shared_redis
from bot.redis_store import open_store
from bot.request_context import ContextExecutor, run_isolated
from bot.service import PersonaService
from bot.slack.flows import SlackFlows
from bot.slack.guard import SlackGuard
from bot.slack.seen_keys import MemorySeenKeys, RedisSeenKeys, SeenKeys
from bot.store import PersonaStore

log = logging.getLogger(__name__)


class SlackConfigError(PersonaError):
    exit_code = 2


@dataclass
class SlackBot:
    app: App
    flows: SlackFlows


def build_client(settings: Settings) -> WebClient:
    if settings.slack_bot_token is None:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set; see the README section on creating the Slack app.")
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url, timeout=15)
    # Slack answers bursts with 429 and Retry-After; waiting as told beats failing the user's request.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=settings.slack_rate_limit_retries))
    return client


def open_seen_keys(settings: Settings) -> SeenKeys:
    # Replicas share what they have seen through Redis, so a retry landing on another replica is still a duplicate.
    url = RedisOptions.from_settings(settings).url
    return RedisSeenKeys(shared_redis(url)) if url else MemorySeenKeys()


def build_flows(settings: Settings, *, service: PersonaService | None = None, store: PersonaStore | None = None,
                queued: bool = False) -> SlackFlows:
    """The flows of a web process (`queued`: slow steps become jobs) or of a worker (they run here)."""
    # The service says once at start whether its cache and single-flight are shared through Redis or in-process.
    service = service or PersonaService.from_settings(settings, announce=True)
    # Redis when REDIS_URL is set (shared by replicas), else in-process; either way said once at start.
    store = store or open_store(settings)
    followups = FollowUpService.beside(service)
    if not queued:
        return SlackFlows(settings, service, store, followups)
    from bot.jobs import JobQueue, QueueOptions
    from bot.slack.dispatch import QueuedFlows

    log.info("Persona and follow-up work is queued for `persona-bot worker` processes")
    return QueuedFlows(settings, service, store, followups, queue=JobQueue(QueueOptions.from_settings(settings)))


def create_app(
    settings: Settings,
    *,
    service: PersonaService | None = None,
    store: PersonaStore | None = None,
    socket_mode: bool = False,
) -> SlackBot:
    if not socket_mode and settings.slack_signing_secret is None:
        raise SlackConfigError("SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify requests from Slack.")
    flows = build_flows(settings, service=service, store=store, queued=settings.queue_enabled)
    # Each task runs in its request's context, so log lines from lazy listeners still name the request.
    executor = ContextExecutor(max_workers=settings.slack_workers, thread_name_prefix="listener")
    try:
        app = _bolt_app(settings, socket_mode, executor)
    except BoltError as exc:
        # auth.test at start-up failed: a wrong, revoked or mistyped token is a setting to fix, not a crash.
        raise SlackConfigError(f"Slack did not accept SLACK_BOT_TOKEN at start-up ({exc}).") from None
    if socket_mode:
        # HTTP requests each get a fresh context in the WSGI app; Socket Mode reuses its threads, so one request's
        # ids would otherwise linger on a thread into the next request's first log lines.
        app.dispatch = functools.partial(run_isolated, app.dispatch)  # type: ignore[method-assign]
    # Replays, duplicate deliveries and workspaces or channels we do not serve stop here, before any listener.
    app.use(SlackGuard(settings, open_seen_keys(settings), flows.quick_lang, executor))
    import handlers  # the composition root is the only place that knows the listeners

    handlers.register(app, flows)
    # Building the app (middleware, listeners) set Bolt's loggers to the root's level; put them back, so nothing
    # a client sent is logged at INFO. The handler's LibraryLevelFilter covers loggers Bolt creates later.
    quiet_libraries(settings.log_level)
    return SlackBot(app=app, flows=flows)


def _bolt_app(settings: Settings, socket_mode: bool, executor: ContextExecutor) -> App:
    return App(
        client=build_client(settings),
        signing_secret=None if socket_mode else settings.slack_signing_secret.get_secret_value(),  # type: ignore[union-attr]
        # Listeners wait on the warehouse and the LLM; the default pool of 5 would queue users behind each other.
        listener_executor=executor,
        # auth.test at start-up fails fast on a wrong token instead of on the first user's request.
        token_verification_enabled=True,
        request_verification_enabled=not socket_mode,
        # HTTP mode: acks run on the request's own thread. Otherwise Bolt runs them on the listener pool, where a
        # new user's ack waits behind every persona already being written (p99 over 500 ms at 50 users).
        # Every listener is ack + lazy, so nothing slow holds the response.
        process_before_response=not socket_mode,
    )
