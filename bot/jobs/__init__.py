"""Durable work: Slack requests become jobs in Redis that worker processes run at least once, shown once."""

from bot.jobs.queue import FailedJob, JobQueue, QueueOptions
from bot.jobs.record import JobRecord

__all__ = ["FailedJob", "JobQueue", "JobRecord", "QueueOptions"]
