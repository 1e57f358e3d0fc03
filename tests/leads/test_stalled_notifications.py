"""The sweep that runs again a notification whose worker died mid-job: which jobs it takes
back, which leads get a new job, and that `manage.py db_worker` keeps it booked."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads.models import Lead, NotificationStatus
from leads.tasks import (
    book_recovery,
    recover_stalled_notifications,
    schedule_notification,
    send_lead_notification,
)
from tests.leads.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.LEADS_NOTIFY_STALLED_AFTER_SECONDS = 300


def notice_jobs():
    return DBTaskResult.objects.filter(task_path=send_lead_notification.module_path)


def sweeps():
    return DBTaskResult.objects.filter(task_path=recover_stalled_notifications.module_path)


def claimed(lead, seconds_ago):
    """The lead's notification job as a worker left it: claimed, then nothing."""
    job_id = schedule_notification(lead.pk)
    Lead.objects.filter(pk=lead.pk).update(notification_task_id=str(job_id))
    DBTaskResult.objects.filter(pk=job_id).update(
        status="RUNNING",
        started_at=timezone.now() - datetime.timedelta(seconds=seconds_ago),
        worker_ids=["dead-worker"],
    )
    return DBTaskResult.objects.get(pk=job_id)


def test_a_job_stalled_past_the_limit_is_failed_and_its_lead_gets_a_new_one():
    lead = make_lead(notification_status="pending")
    stuck = claimed(lead, seconds_ago=301)

    assert recover_stalled_notifications.call() == 1

    stuck.refresh_from_db()
    assert stuck.status == "FAILED"
    assert stuck.exception_class_path == "leads.stalled.WorkerLost"
    lead.refresh_from_db()
    fresh = notice_jobs().get(status="READY")
    assert fresh.args_kwargs["args"] == [lead.pk]
    assert lead.notification_task_id == str(fresh.pk)


def test_a_job_still_within_the_limit_is_left_to_its_worker():
    lead = make_lead(notification_status="pending")
    running = claimed(lead, seconds_ago=60)
    assert recover_stalled_notifications.call() == 0
    running.refresh_from_db()
    assert running.status == "RUNNING"
    assert not notice_jobs().filter(status="READY").exists()


def test_a_lead_already_notified_gets_no_second_job():
    lead = make_lead(notification_status="pending")
    stuck = claimed(lead, seconds_ago=600)
    Lead.objects.filter(pk=lead.pk).update(notification_status=NotificationStatus.SENT)
    assert recover_stalled_notifications.call() == 1
    stuck.refresh_from_db()
    assert stuck.status == "FAILED"
    assert not notice_jobs().filter(status="READY").exists()


def test_the_sweep_books_its_next_run_and_keeps_one_day_of_history(settings):
    settings.LEADS_NOTIFY_STALLED_AFTER_SECONDS = 100
    old = recover_stalled_notifications.enqueue()
    DBTaskResult.objects.filter(pk=old.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - datetime.timedelta(days=2)
    )
    before = timezone.now()
    recover_stalled_notifications.call()
    booked = sweeps().get(status="READY")
    assert before + datetime.timedelta(seconds=19) < booked.run_after
    assert booked.run_after < timezone.now() + datetime.timedelta(seconds=21)
    assert not sweeps().filter(pk=old.id).exists()
    recover_stalled_notifications.call()
    assert sweeps().filter(status="READY").count() == 1  # never two waiting


# Transactional: the worker closes the connection between jobs, as it does in production.
@pytest.mark.django_db(transaction=True)
def test_db_worker_books_the_sweep_and_runs_it():
    lead = make_lead(notification_status="pending")
    claimed(lead, seconds_ago=900)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0)
    lead.refresh_from_db()
    assert lead.notification_status == NotificationStatus.SENT
    assert sweeps().filter(status="SUCCESSFUL").count() == 1
    assert sweeps().filter(status="READY").count() == 1  # the next run, a minute away


def test_without_a_deferring_backend_nothing_is_booked(settings):
    # The immediate backend would run the sweep at once, and its booking of the next run
    # at once again, for ever.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert book_recovery() is None
    assert not sweeps().exists()
