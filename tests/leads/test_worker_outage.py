"""With the task worker stopped, leads are still stored and their notices wait; once a worker
runs again every notice goes out exactly once, even after a worker was killed mid-send.

The worker is the real `manage.py db_worker` in its own process on the test's PostgreSQL
database, and mail goes to files, so the test counts what that process really sent."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads.models import Lead, NotificationStatus
from leads.tasks import send_lead_notification
from tests.leads.helpers import submit_from

ROOT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url():
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class Worker:
    """`manage.py db_worker` as production runs it, in its own process."""

    def __init__(self, mail_dir, log_path, **env):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.leads.worker_settings",
            "DATABASE_URL": database_url(),
            "TEST_MAIL_DIR": str(mail_dir),
            "PYTHONPATH": str(ROOT),
            **{name: str(value) for name, value in env.items()},
        }
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "a")  # noqa: SIM115 - the child holds it
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process is None or self.process.poll() is not None:
            return self.process and self.process.returncode
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def log(self):
        return self.log_path.read_text() if self.log_path.exists() else ""


@pytest.fixture
def workers(tmp_path):
    started = []

    def make(**env):
        worker = Worker(tmp_path / "mail", tmp_path / "worker.log", **env)
        started.append(worker)
        return worker

    (tmp_path / "mail").mkdir()
    yield make
    for worker in started:
        worker.stop(signal.SIGKILL)


def store_leads(client, home, count):
    """`count` readers (different people, each their own page view) ask for a call back."""
    for n in range(count):
        page = client.get(home.url).content.decode()
        response = submit_from(
            client,
            page,
            email=f"reader{n}@example.com",
            phone=f"0121 496 0{900 + n}",
            submission_key=str(uuid.uuid4()),
        )
        assert response.status_code == 303
    leads = list(Lead.objects.order_by("pk"))
    assert len(leads) == count
    return leads


def emails_per_lead(mail_dir, leads):
    text = "".join(path.read_text() for path in Path(mail_dir).iterdir())
    return {lead.pk: text.count(f"Subject: New call-back request #{lead.pk}\n") for lead in leads}


def wait_until(condition, worker, timeout=60, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}):\n{worker.log()}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{worker.log()}")


def statuses():
    return list(Lead.objects.order_by("pk").values_list("notification_status", flat=True))


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS


def test_notices_wait_for_a_stopped_worker_then_each_goes_out_once(
    client, home, humans_are_quick, database_tasks, workers, tmp_path
):
    leads = store_leads(client, home, 5)
    # An hour with no worker: the leads are stored, every notice is still waiting.
    Lead.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert set(statuses()) == {NotificationStatus.PENDING}
    assert list((tmp_path / "mail").iterdir()) == []

    worker = workers().start()
    wait_until(lambda: set(statuses()) == {NotificationStatus.SENT}, worker, what="every lead SENT")
    # SIGTERM: the worker finishes what it holds and exits cleanly.
    assert worker.stop() == 0

    assert emails_per_lead(tmp_path / "mail", leads) == {lead.pk: 1 for lead in leads}
    jobs = DBTaskResult.objects.filter(task_path=send_lead_notification.module_path)
    assert sorted(jobs.values_list("status", flat=True)) == ["SUCCESSFUL"] * 5


def test_a_worker_killed_mid_send_leaves_no_lead_unnotified_and_none_twice(
    client, home, humans_are_quick, database_tasks, workers, tmp_path
):
    leads = store_leads(client, home, 5)
    delay = 1.5
    slow = {"TEST_MAIL_DELAY": delay, "LEADS_NOTIFY_STALLED_AFTER_SECONDS": 3}
    first = workers(**slow).start()
    jobs = DBTaskResult.objects.filter(task_path=send_lead_notification.module_path)

    def sending_freshly():
        # A job claimed well inside the mail delay: its message is not written yet, so the
        # kill lands before the mail server would have accepted it.
        recent = timezone.now() - datetime.timedelta(seconds=delay / 3)
        sent = statuses().count(NotificationStatus.SENT)
        return sent >= 1 and jobs.filter(status="RUNNING", started_at__gte=recent).exists()

    wait_until(sending_freshly, first, what="the worker in the middle of a send")
    first.stop(signal.SIGKILL)
    interrupted = jobs.get(status="RUNNING")
    lead_id = interrupted.args_kwargs["args"][0]
    assert Lead.objects.get(pk=lead_id).notification_status == NotificationStatus.PENDING
    assert NotificationStatus.PENDING in statuses()

    second = workers(**slow).start()
    wait_until(
        lambda: set(statuses()) == {NotificationStatus.SENT},
        second,
        timeout=90,
        what="every lead SENT after the restart",
    )
    assert second.stop() == 0

    assert emails_per_lead(tmp_path / "mail", leads) == {lead.pk: 1 for lead in leads}
    interrupted.refresh_from_db()
    assert interrupted.status == "FAILED"
    assert interrupted.exception_class_path == "leads.stalled.WorkerLost"
    retried = Lead.objects.get(pk=lead_id)
    assert jobs.get(pk=retried.notification_task_id).status == "SUCCESSFUL"
