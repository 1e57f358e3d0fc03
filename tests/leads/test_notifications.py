"""The claims team is told about every genuine lead, in the background, and failures are kept."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads import capture
from leads.models import CallBackForm, Lead, NotificationStatus
from tests.leads.helpers import only_lead, submit_from

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def smtp_down(settings):
    """Real SMTP to a port where nothing listens: the connection is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port, closed on the test machine
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def lead_tasks():
    # Wagtail enqueues its own jobs (search index, references) when the demo site is built.
    return DBTaskResult.objects.filter(task_path="leads.tasks.send_lead_notification")


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0)


@pytest.mark.django_db
class TestImmediateBackend:
    def test_email_links_to_the_lead_and_page_without_personal_data(
        self, client, home, home_html, humans_are_quick
    ):
        submit_from(client, home_html)
        lead = only_lead()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["claims@example.test"]
        assert message.subject == f"New call-back request #{lead.pk}"
        assert f"http://testserver/admin/leads/lead/inspect/{lead.pk}/" in message.body
        assert f"From the page: {home.title}" in message.body
        assert "http://testserver/" in message.body
        for personal in ["Zoë", "Łukasiewicz", "zoe@example.com", "+441214960982", "496 0982"]:
            assert personal not in message.subject + message.body
        lead.refresh_from_db()
        assert lead.notification_status == NotificationStatus.SENT
        assert lead.notification_attempts == 1
        assert lead.notification_sent_at is not None

    def test_the_forms_own_recipients_win(self, client, home_html, humans_are_quick):
        CallBackForm.objects.update(notify_to="a@claims.test\nb@claims.test, a@claims.test")
        submit_from(client, home_html)
        assert mail.outbox[0].to == ["a@claims.test", "b@claims.test"]

    def test_no_recipients_is_recorded(self, client, home_html, humans_are_quick, settings):
        settings.LEADS_NOTIFY_TO = []
        assert submit_from(client, home_html).status_code == 303
        assert only_lead().notification_status == NotificationStatus.NO_RECIPIENTS
        assert mail.outbox == []

    def test_smtp_failure_keeps_the_lead_and_gives_up_after_n_attempts(
        self, client, home_html, humans_are_quick, smtp_down, settings
    ):
        settings.LEADS_NOTIFY_MAX_ATTEMPTS = 3
        response = submit_from(client, home_html)
        assert response.status_code == 303  # the reader never sees the mail failure
        lead = only_lead()
        assert lead.full_name == "Zoë O'Brien-Łukasiewicz"
        assert lead.notification_status == NotificationStatus.GAVE_UP
        assert lead.notification_attempts == 3
        assert "ConnectionRefusedError" in lead.notification_last_error
        assert lead.notification_sent_at is None


@pytest.mark.django_db(transaction=True)
class TestDatabaseBackendAndWorker:
    """Production's arrangement: a task row in the database and `manage.py db_worker`."""

    @pytest.fixture(autouse=True)
    def database_tasks(self, migrated_db, settings):
        settings.TASKS = DATABASE_TASKS

    def test_lead_and_task_are_stored_together_and_the_worker_sends(
        self, client, home_html, humans_are_quick
    ):
        assert submit_from(client, home_html).status_code == 303
        lead = only_lead()
        task = lead_tasks().get()
        assert task.args_kwargs == {"args": [lead.pk], "kwargs": {}}
        assert str(task.id) == lead.notification_task_id
        assert lead.notification_status == NotificationStatus.PENDING
        assert mail.outbox == []  # nothing is sent inside the request

        run_worker()

        lead.refresh_from_db()
        assert lead.notification_status == NotificationStatus.SENT
        assert len(mail.outbox) == 1
        assert lead_tasks().get().status == "SUCCESSFUL"

    def test_spam_enqueues_nothing(self, client, home_html, humans_are_quick):
        submit_from(client, home_html, website="bot")
        assert only_lead().is_spam
        assert lead_tasks().count() == 0

    def test_a_failure_after_enqueue_rolls_back_lead_and_task(
        self, client, home_html, humans_are_quick, monkeypatch
    ):
        real_schedule = capture.schedule_notification

        def schedule_then_fail(lead_id, run_after=None):
            real_schedule(lead_id, run_after=run_after)
            raise RuntimeError("database went away after the task row was written")

        monkeypatch.setattr(capture, "schedule_notification", schedule_then_fail)
        client.raise_request_exception = False
        assert submit_from(client, home_html).status_code == 500
        assert Lead.objects.count() == 0
        assert lead_tasks().count() == 0  # no orphan task

        # The reader tries again once the fault is gone: nothing blocks them.
        monkeypatch.setattr(capture, "schedule_notification", real_schedule)
        assert submit_from(client, home_html).status_code == 303
        assert Lead.objects.count() == 1
        assert lead_tasks().count() == 1

    def test_smtp_failure_is_recorded_and_retried_with_backoff(
        self, client, home_html, humans_are_quick, smtp_down, settings
    ):
        submit_from(client, home_html)
        before = timezone.now()
        run_worker()

        lead = only_lead()
        assert lead.notification_status == NotificationStatus.RETRYING
        assert lead.notification_attempts == 1
        assert "ConnectionRefusedError" in lead.notification_last_error
        retry = lead_tasks().get(status="READY")
        assert retry.args_kwargs["args"] == [lead.pk]
        # First backoff is a minute: the worker leaves it alone until then.
        assert retry.run_after >= before + datetime.timedelta(seconds=55)
        assert lead.notification_next_attempt_at == retry.run_after
        run_worker()
        assert lead_tasks().filter(status="READY").count() == 1

        # Mail is back and the minute has passed.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        run_worker()
        lead.refresh_from_db()
        assert lead.notification_status == NotificationStatus.SENT
        assert lead.notification_attempts == 2
        assert len(mail.outbox) == 1
