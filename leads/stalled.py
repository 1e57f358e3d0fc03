"""Jobs (notifications, hand-offs) whose worker died in the middle of one (killed, out of
memory, machine lost). django-tasks-db marks a job RUNNING when a worker claims it and leaves
it so for ever if the worker never reports back, so nothing would run it again and the claims
team would never hear of the lead. `release_stalled` hands such jobs back, once each.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

# django-tasks' names for the states of a job, as django-tasks-db stores them.
READY = "READY"
RUNNING = "RUNNING"
FAILED = "FAILED"
SUCCESSFUL = "SUCCESSFUL"


class WorkerLost(Exception):
    """Recorded on a job whose worker stopped before finishing it."""


def waiting_jobs(task):
    """The task's jobs that no worker has taken yet."""
    return DBTaskResult.objects.filter(task_path=task.module_path, status=READY)


def stalled_jobs(task, older_than_seconds):
    """The task's jobs that a worker claimed longer ago than the limit and never finished."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=RUNNING, started_at__lt=cutoff
    )


def release_stalled(task, older_than_seconds, requeue):
    """Marks each stalled job of the task failed and calls `requeue(*args)` for it, in one
    transaction per job; returns how many were handed back.

    The job is marked only if it is still RUNNING, so of two sweepers, or a sweeper and a
    worker that was merely slow, one wins."""
    released = 0
    for job in stalled_jobs(task, older_than_seconds).only("pk", "args_kwargs"):
        with transaction.atomic():
            won = DBTaskResult.objects.filter(pk=job.pk, status=RUNNING).update(
                status=FAILED,
                finished_at=timezone.now(),
                exception_class_path=f"{__name__}.{WorkerLost.__qualname__}",
                traceback=f"The worker stopped before finishing (no report within "
                f"{older_than_seconds} seconds of starting); the job was queued again.",
            )
            if won:
                requeue(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
                released += 1
    return released


def prune_finished(task, older_than):
    """Deletes the task's successful jobs finished longer ago than `older_than` (a
    timedelta): for a job that runs every minute, a day's rows are history enough."""
    cutoff = timezone.now() - older_than
    DBTaskResult.objects.filter(
        task_path=task.module_path, status=SUCCESSFUL, finished_at__lt=cutoff
    ).delete()
