"""The one seam between acking a Slack request and doing its work: in this process, or as a queued job.

Listeners and flows are the same either way. With the queue on (REDIS_URL, `PERSONA_JOBS=queue`), the app's flows
are `QueuedFlows`: everything quick (classifying the text, the user's language, the "working on it" message, modals)
still happens where the request arrived, and the two slow steps, `deliver` (data part and card) and `followup`
(a follow-up answer), become jobs. A worker's `JobRunner` turns a job back into the same flow call on a
`SlackFlows` of its own, with surfaces that replay rather than repeat what an earlier run of the job showed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dramatiq import Retry
from dramatiq.middleware import CurrentMessage
from dramatiq.middleware.time_limit import TimeLimitExceeded
from slack_sdk import WebClient

from bot import metrics
from bot.config import Settings
from bot.i18n import t
from bot.jobs import JobQueue, JobRecord
from bot.request_context import begin, current, new_request_id, run_isolated
from bot.single_flight import SingleFlight
from bot.slack.blocks import card as cards
from bot.slack.flows import SlackFlows
from bot.slack.surfaces import MessageSurface, Surface, replaying, surface_from
from bot.store import PersonaRequest

log = logging.getLogger(__name__)

# The request fields a worker's log lines carry, as the web process's did.
_CONTEXT = ("kind", "team_id", "user_id", "channel_id")


class UnknownJob(Exception):
    """A job this worker cannot run (e.g. written by a newer version): it fails on every try."""


class QueuedFlows(SlackFlows):
    """The flows of a web process whose slow steps are queued; if Redis refuses a job, it runs here instead."""

    def __init__(self, *args: Any, queue: JobQueue, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.queue = queue

    def deliver(self, surface: Surface, request: PersonaRequest, user_id: str, *, refresh: bool = False) -> None:
        job = {"flow": "deliver", "surface": surface.describe(), "request": request.model_dump(mode="json"),
               "user_id": user_id, "refresh": refresh, "lang": request.lang}
        if not self._enqueue(job):
            super().deliver(surface, request, user_id, refresh=refresh)

    def followup(self, client: WebClient, *, kind: str, persona_id: str, user_id: str, where: dict[str, Any],
                 product: str | None = None) -> None:
        job = {"flow": "followup", "kind": kind, "persona_id": persona_id, "user_id": user_id, "where": where,
               "product": product, "lang": self.quick_lang(user_id)}
        if not self._enqueue(job):
            super().followup(client, kind=kind, persona_id=persona_id, user_id=user_id, where=where, product=product)

    def _enqueue(self, job: dict[str, Any]) -> bool:
        info = current()
        # The job id is the request id, so one search finds the request's lines in the web and the worker logs.
        job_id = info.request_id if info is not None else new_request_id()
        job["context"] = {k: v for k, v in (info.fields() if info else {}).items() if k in _CONTEXT}
        try:
            self.queue.enqueue(job_id, job)
        except Exception as exc:
            log.warning("job_enqueue_failed", extra={"flow": job["flow"], "error": type(exc).__name__})
            return False
        metrics.JOBS_ENQUEUED.labels(job["flow"]).inc()
        log.info("job_enqueued", extra={"job_id": job_id, "flow": job["flow"]})
        return True


class JobRunner:
    """What a worker runs for each job: the flow call the web process queued, shown once however often it runs."""

    def __init__(self, settings: Settings, flows: SlackFlows, client: WebClient, queue: JobQueue):
        self.settings = settings
        self.flows = flows
        self.client = client
        self.queue = queue
        # Two copies of one job (a retry racing a re-delivery) run one after the other; the second finds it
        # delivered. A copy whose holder died takes over once the holder's lock lapses.
        self.running = SingleFlight(queue.redis, lock_ttl=queue.options.redelivery_after,
                                    wait_timeout=queue.options.time_limit)
        self._in_hand = 0
        self._count_lock = threading.Lock()

    @property
    def jobs_in_hand(self) -> int:
        """Jobs this worker is running now (its /healthz says so, for operators and the bench)."""
        with self._count_lock:
            return self._in_hand

    def __call__(self, job_id: str) -> None:
        with self._count_lock:
            self._in_hand += 1
        try:
            # A fresh context per job: the worker's threads run one job after another.
            run_isolated(self._run, job_id)
        finally:
            with self._count_lock:
                self._in_hand -= 1

    def _run(self, job_id: str) -> None:
        begin(job_id)
        message = CurrentMessage.get_current_message()
        if message is not None:
            metrics.JOB_AGE.observe(max(0.0, time.time() - message.message_timestamp / 1000))
        failed_tries = int(message.options.get("retries", 0)) if message is not None else 0
        started = time.perf_counter()
        record = self.queue.record(job_id)
        payload = record.payload()
        if payload is None:
            # Kept for a week; a job older than that, or one enqueued by hand, has nobody left to answer.
            self._finish("missing", started)
            return
        context = payload.get("context") or {}
        begin(job_id, **{k: context.get(k) for k in _CONTEXT})
        if record.delivered():
            self._finish("duplicate", started, payload)
            return
        attempt = record.start_attempt()
        if attempt > self.queue.options.max_tries:
            # Earlier runs never finished: the job took its worker down each time.
            self._give_up(record, payload, tries=attempt - 1, error="the worker stopped during every try")
            self._finish("failed", started, payload)
            return
        try:
            self.running.run(f"job:{job_id}", lambda: self._perform(record, payload),
                             lookup=lambda: True if record.delivered() else None)
        except (Exception, TimeLimitExceeded) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            if failed_tries + 1 >= self.queue.options.max_tries:
                self._give_up(record, payload, tries=attempt, error=error)
                self._finish("failed", started, payload)
                return
            metrics.JOB_RETRIES.inc()
            log.warning("job_retry", extra={"flow": payload.get("flow"), "attempt": attempt, "error": error})
            self._finish("retried", started, payload)
            # Retry: Dramatiq queues it again after a backoff without logging the job's arguments.
            raise Retry(error) from None
        self._finish("delivered", started, payload)

    def _perform(self, record: JobRecord, payload: dict[str, Any]) -> bool:
        flow = payload.get("flow")
        with replaying(record):
            if flow == "deliver":
                surface = surface_from(self.client, payload["surface"])
                request = PersonaRequest.model_validate(payload["request"])
                self.flows.deliver(surface, request, str(payload["user_id"]), refresh=bool(payload.get("refresh")))
            elif flow == "followup":
                self.flows.followup(self.client, kind=str(payload["kind"]), persona_id=str(payload["persona_id"]),
                                    user_id=str(payload["user_id"]), where=dict(payload["where"]),
                                    product=payload.get("product"))
            else:
                raise UnknownJob(f"no flow called {str(flow)[:40]!r}")
        record.mark_delivered()
        return True

    def _give_up(self, record: JobRecord, payload: dict[str, Any], *, tries: int, error: str) -> None:
        """The user hears "couldn't finish, try again" where they were waiting; operators find the job listed."""
        metrics.JOBS_FAILED.inc()
        log.error("job_failed_for_good", extra={"flow": payload.get("flow"), "tries": tries, "error": error})
        try:
            self.queue.record_failed(record.job_id, tries=tries, error=error, flow=str(payload.get("flow", "")))
        except Exception as exc:
            log.warning("job_failed_not_recorded", extra={"error": type(exc).__name__})
        lang = str(payload.get("lang") or self.settings.default_lang)
        sorry = cards.error_message(t("msg.job_failed", lang), lang)
        try:
            if payload.get("surface"):
                surface_from(self.client, payload["surface"]).show(sorry)
            elif payload.get("where"):
                where = dict(payload["where"])
                posted = record.posted()
                if posted and where.get("channel"):
                    # The follow-up's own "working" message in the card's thread: it becomes the apology.
                    MessageSurface(self.client, str(where["channel"]), ts=posted[-1]).show(sorry)
                else:
                    self.flows._notice(self.client, where, str(payload.get("user_id", "")), t("msg.job_failed", lang))
        except Exception as exc:
            # Slack refused or is unreachable: the job is still listed for operators.
            log.warning("job_failed_notice_failed", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
        record.mark_delivered()

    @staticmethod
    def _finish(outcome: str, started: float, payload: dict[str, Any] | None = None) -> None:
        elapsed = time.perf_counter() - started
        metrics.JOB_RUNS.labels(outcome).inc()
        metrics.JOB_SECONDS.labels(outcome).observe(elapsed)
        log.info("job_outcome", extra={"outcome": outcome, "flow": (payload or {}).get("flow"),
                                       "latency_ms": round(elapsed * 1000, 1)})
