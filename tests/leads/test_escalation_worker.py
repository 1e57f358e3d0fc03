"""The escalation notice goes out through the real task worker: `manage.py db_worker` books
the sweep when it starts, and the sweep mails the lead managers once about a lead left
untouched past its due time (PostgreSQL: the worker is a separate process)."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads.models import Lead
from leads.tasks import escalate_overdue_leads
from tests.leads.factories import make_lead
from tests.leads.test_worker_outage import database_tasks, wait_until, workers  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def mails(mail_dir):
    return [path.read_text() for path in Path(mail_dir).iterdir()]


def test_the_worker_sends_one_notice_about_an_untouched_lead(
    database_tasks,  # noqa: F811 - the imported fixture
    workers,  # noqa: F811 - the imported fixture
    tmp_path,
    django_user_model,
):
    manager = django_user_model.objects.create_user("boss", email="boss@firm.example")
    manager.groups.add(Group.objects.get(name="Lead managers"))
    lead = make_lead(full_name="Patience Waiting")
    Lead.objects.filter(pk=lead.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))

    worker = workers(LEADS_ESCALATION_SWEEP_SECONDS=1).start()
    wait_until(lambda: mails(tmp_path / "mail"), worker, what="the escalation notice")
    # Further sweeps run (booked every second) and send nothing more.
    sweeps = DBTaskResult.objects.filter(task_path=escalate_overdue_leads.module_path)
    wait_until(lambda: sweeps.filter(status="SUCCESSFUL").count() >= 3, worker, what="three sweeps")
    assert worker.stop() == 0

    [notice] = mails(tmp_path / "mail")
    assert "boss@firm.example" in notice
    assert f"Lead #{lead.pk}" in notice
    assert "Patience" not in notice and lead.phone not in notice
    assert Lead.objects.get(pk=lead.pk).escalated_due_at is not None
