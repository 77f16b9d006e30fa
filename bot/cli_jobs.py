"""`persona-bot worker` and `persona-bot jobs`: running queued work, and what operators do with failed jobs."""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from bot.config import Settings
from bot.errors import PersonaError

if TYPE_CHECKING:  # imported when used: `persona-bot --help` need not load the queue library
    from bot.jobs import JobQueue


class JobsError(PersonaError):
    exit_code = 2


def add_jobs_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("worker", help="run queued persona and follow-up jobs (needs REDIS_URL)")
    p.add_argument("--concurrency", type=int, default=4, help="jobs run at once, one thread each (default 4)")
    p.add_argument("--host", default="0.0.0.0", help="address of /healthz and /metrics (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=9200, help="port of /healthz and /metrics (default 9200)")
    p.set_defaults(func=cmd_worker)

    jobs = subparsers.add_parser("jobs", help="list failed jobs and queue them again")
    jobs.add_argument("--format", choices=["table", "json"], default="table")
    jobs.set_defaults(func=cmd_jobs_list)
    sub = jobs.add_subparsers(dest="jobs_command", parser_class=type(jobs))
    p = sub.add_parser("list", help="failed jobs, oldest first, and how many wait in the queue")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_jobs_list)
    p = sub.add_parser("retry", help="queue failed jobs again (the user's message is updated in place)")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("job_ids", nargs="*", default=[], metavar="JOB_ID", help="ids from `persona-bot jobs`")
    target.add_argument("--all", action="store_true", help="every failed job")
    p.set_defaults(func=cmd_jobs_retry)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    # One process with threads: its own metrics registry, never the files of a multi-process web server.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from bot.slack.worker import run_worker

    return run_worker(settings, concurrency=args.concurrency, host=args.host, port=args.port)


def _queue(settings: Settings) -> JobQueue:
    if settings.redis_url is None or not settings.redis_url.get_secret_value():
        raise JobsError("REDIS_URL is not set: without it there is no queue, and every request is answered by the "
                        "process that received it.")
    from bot.jobs import JobQueue, QueueOptions

    return JobQueue(QueueOptions.from_settings(settings))


def cmd_jobs_list(args: argparse.Namespace, settings: Settings) -> int:
    queue = _queue(settings)
    try:
        failed, waiting = queue.failed(), queue.depth()
    except (RedisError, OSError):
        raise JobsError(f"Redis at {queue.redis.display_url} is not reachable.") from None
    if args.format == "json":
        print(json.dumps({"waiting": waiting, "failed": [job.__dict__ for job in failed]}, indent=2))
        return 0
    print(f"{waiting} job(s) waiting, {len(failed)} failed.")
    for job in failed:
        when = datetime.fromtimestamp(job.failed_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"{job.job_id}  {when}  {job.flow or '-'}  tries={job.tries}  {job.error}")
    if failed:
        print("Queue one again with `persona-bot jobs retry JOB_ID`, or all with `persona-bot jobs retry --all`.")
    return 0


def cmd_jobs_retry(args: argparse.Namespace, settings: Settings) -> int:
    queue = _queue(settings)
    from bot.jobs.queue import QueueUnavailable

    try:
        ids = [job.job_id for job in queue.failed()] if args.all else list(args.job_ids)
        unknown = [job_id for job_id in ids if not queue.retry(job_id)]
    except (RedisError, OSError, QueueUnavailable):
        raise JobsError(f"Redis at {queue.redis.display_url} is not reachable.") from None
    print(f"Queued {len(ids) - len(unknown)} job(s) again.")
    if unknown:
        raise JobsError(f"No failed job with id {', '.join(unknown)}; `persona-bot jobs` lists them.")
    return 0
