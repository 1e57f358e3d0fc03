"""A worker killed in the middle of a hand-off: the next worker sends it again with the same
webhook-id, so the claims system takes the lead once and the delivery log shows one success.

The workers are the real `manage.py db_worker` in their own processes on the test's
PostgreSQL database; the receiver is a real HTTP server that has stored the lead before the
worker is killed, as when the answer is lost on the way back."""

import signal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads import casework
from leads.handoff import deliver_handoff
from leads.models import Handoff, HandoffStatus, LeadStatus
from tests.leads.factories import make_lead
from tests.leads.test_handoff import SECRET
from tests.leads.test_worker_outage import Worker, wait_until
from tests.leads.webhook_receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    # The first request is answered only after the worker has been killed.
    started = Receiver(SECRET, (200,), hold_first=30).start()
    yield started
    started.stop()


def test_a_worker_killed_mid_delivery_gives_one_success_with_one_webhook_id(
    receiver, settings, tmp_path
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.LEADS_WEBHOOK_URL = receiver.url
    settings.LEADS_WEBHOOK_SECRET = SECRET
    (tmp_path / "mail").mkdir()
    env = {
        "LEADS_WEBHOOK_URL": receiver.url,
        "LEADS_WEBHOOK_SECRET": SECRET,
        "LEADS_WEBHOOK_CLAIM_SECONDS": 1,
        "LEADS_NOTIFY_STALLED_AFTER_SECONDS": 2,
    }
    lead = make_lead(status=LeadStatus.CONTACTED)
    casework.change_status(lead, LeadStatus.QUALIFIED, None)
    handoff = Handoff.objects.get(lead=lead)
    jobs = DBTaskResult.objects.filter(task_path=deliver_handoff.module_path)

    first = Worker(tmp_path / "mail", tmp_path / "worker.log", **env).start()
    try:
        assert receiver.first_arrived.wait(60), first.log()
        first.stop(signal.SIGKILL)
    finally:
        first.stop(signal.SIGKILL)
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.SENDING  # the worker never heard back
    interrupted = jobs.get(status="RUNNING")
    assert list(receiver.accepted) == [handoff.webhook_id]  # but the receiver has it

    second = Worker(tmp_path / "mail", tmp_path / "worker.log", **env).start()
    try:
        wait_until(
            lambda: Handoff.objects.get(pk=handoff.pk).status == HandoffStatus.DELIVERED,
            second,
            timeout=60,
            what="the hand-off delivered after the restart",
        )
        assert second.stop() == 0
    finally:
        second.stop(signal.SIGKILL)

    assert receiver.ids() == [handoff.webhook_id, handoff.webhook_id]
    assert all(request["verified"] for request in receiver.requests)
    assert list(receiver.accepted) == [handoff.webhook_id]  # taken once
    tries = list(handoff.deliveries.order_by("number").values_list("outcome", "status_code"))
    assert tries == [("interrupted", None), ("delivered", 200)]
    handoff.refresh_from_db()
    assert handoff.delivered_at <= timezone.now()
    interrupted.refresh_from_db()
    assert interrupted.status == "FAILED"
    assert interrupted.exception_class_path == "leads.stalled.WorkerLost"
