"""The hand-off of a qualified lead to the claims system: a signed request reaches a real
local HTTP receiver, failures are retried with backoff and logged, each hand-off is taken
once, and the desk shows, sends and replays it."""

import base64
import datetime
import json
import logging
import os

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import ModelLogEntry

from leads import casework, handoff, subject_rights
from leads.models import (
    CallAttempt,
    CallOutcome,
    Handoff,
    HandoffDelivery,
    HandoffStatus,
    LeadNote,
    LeadStatus,
    WebhookEndpoint,
)
from leads.tasks import recover_stalled_notifications
from tests.fault_services import free_port
from tests.leads.factories import make_lead
from tests.leads.webhook_receiver import Receiver
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SECRET = "whsec_" + base64.b64encode(b"claims-system-shared-key-32bytes").decode()
PERSON = {
    "full_name": "Zoë O'Brien-Łukasiewicz",
    "email": "zoe.obrien@example.com",
    "phone": "+441214960982",
}


def start_receiver(settings, *answers, secret=SECRET, hold_first=0.0):
    receiver = Receiver(secret, answers or (200,), hold_first=hold_first).start()
    settings.LEADS_WEBHOOK_URL = receiver.url
    settings.LEADS_WEBHOOK_SECRET = secret
    return receiver


@pytest.fixture
def receivers(settings):
    started = []

    def make(*answers, **kwargs):
        receiver = start_receiver(settings, *answers, **kwargs)
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user("manager", password="x")
    user.groups.add(Group.objects.get(name="Lead managers"))
    return user


def contacted_lead(**fields):
    return make_lead(
        **PERSON,
        status=LeadStatus.CONTACTED,
        utm_source="google",
        utm_campaign="police-breach",
        gclid="abc123",
        referrer="https://www.google.com/",
        **fields,
    )


def qualify(lead, user, capture):
    with capture(execute=True):
        casework.change_status(lead, LeadStatus.QUALIFIED, user)


def outcomes(h):
    return list(h.deliveries.order_by("number").values_list("outcome", "status_code"))


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0)


class TestQualifyingSends:
    def test_one_signed_request_with_the_lead_reaches_the_receiver(
        self, receivers, manager, django_capture_on_commit_callbacks
    ):
        receiver = receivers(200)
        lead = contacted_lead()
        LeadNote.objects.create(lead=lead, author=manager, text="Called, will send documents")

        qualify(lead, manager, django_capture_on_commit_callbacks)

        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        assert request["verified"]  # by the Standard Webhooks library
        sent = Handoff.objects.get(lead=lead)
        assert request["headers"]["webhook-id"] == sent.webhook_id
        assert request["headers"]["content-type"] == "application/json"
        body = receiver.accepted[sent.webhook_id]
        assert body["type"] == "lead.handed_off"
        assert body["data"]["handoff"]["id"] == sent.webhook_id
        assert body["data"]["handoff"]["trigger"] == "qualified"
        data = body["data"]["lead"]
        assert data["id"] == lead.pk
        assert data["status"] == "qualified"
        assert data["desk_url"] == f"http://testserver/admin/leads/lead/inspect/{lead.pk}/"
        assert data["answers"]["full_name"] == PERSON["full_name"]
        assert data["answers"]["phone"] == PERSON["phone"]
        assert data["answers"]["email"] == PERSON["email"]
        assert data["answers"]["callback_time"] == "morning"
        assert data["source"]["page_title"] == "Police case study"
        assert data["source"]["page_url"] == "http://testserver/case-studies/police/"
        assert data["source"]["referrer"] == "https://www.google.com/"
        assert data["utm"]["source"] == "google"
        assert data["utm"]["campaign"] == "police-breach"
        assert data["utm"]["gclid"] == "abc123"
        assert [n["text"] for n in data["notes"]] == ["Called, will send documents"]
        assert data["notes"][0]["by"] == "manager"
        assert data["attempts"] == []

        sent.refresh_from_db()
        assert sent.status == HandoffStatus.DELIVERED
        assert sent.delivered_at is not None
        assert outcomes(sent) == [("delivered", 200)]
        actions = set(ModelLogEntry.objects.for_instance(lead).values_list("action", flat=True))
        assert {"leads.status", "leads.handoff", "leads.handoff_delivered"} <= actions

    def test_nothing_is_sent_before_the_status_change_commits(
        self, receivers, manager, django_capture_on_commit_callbacks
    ):
        receiver = receivers(200)
        lead = contacted_lead()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            casework.change_status(lead, LeadStatus.QUALIFIED, manager)
        assert receiver.requests == []
        assert Handoff.objects.get(lead=lead).status == HandoffStatus.PENDING
        for callback in callbacks:
            callback()
        assert len(receiver.requests) == 1

    def test_other_statuses_send_nothing_and_a_second_qualify_sends_no_second_hand_off(
        self, receivers, manager, django_capture_on_commit_callbacks
    ):
        receiver = receivers(200)
        lead = make_lead()
        with django_capture_on_commit_callbacks(execute=True):
            casework.change_status(lead, LeadStatus.CONTACTED, manager)
        assert receiver.requests == []
        qualify(lead, manager, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            casework.change_status(lead, LeadStatus.CLOSED, manager)
            casework.change_status(lead, LeadStatus.CONTACTED, manager)
        qualify(lead, manager, django_capture_on_commit_callbacks)
        assert len(receiver.requests) == 1
        assert Handoff.objects.filter(lead=lead).count() == 1

    def test_without_a_receiver_nothing_is_made(self, manager, django_capture_on_commit_callbacks):
        lead = contacted_lead()
        qualify(lead, manager, django_capture_on_commit_callbacks)
        assert not Handoff.objects.exists()

    def test_a_lead_marked_spam_is_not_handed_off(
        self, receivers, manager, django_capture_on_commit_callbacks
    ):
        receiver = receivers(200)
        lead = contacted_lead(is_spam=True)
        qualify(lead, manager, django_capture_on_commit_callbacks)
        assert receiver.requests == []
        assert not Handoff.objects.exists()

    def test_each_active_endpoint_gets_its_own_hand_off_signed_with_its_secret(
        self, receivers, manager, django_capture_on_commit_callbacks, settings
    ):
        claims = receivers(200)
        plain = "a plain shared secret, used as it is"
        extra = Receiver(plain, (200,)).start()
        try:
            WebhookEndpoint.objects.create(name="Second system", url=extra.url, secret=plain)
            WebhookEndpoint.objects.create(
                name="Switched off", url=extra.url, secret=plain, is_active=False
            )
            lead = contacted_lead()
            qualify(lead, manager, django_capture_on_commit_callbacks)
        finally:
            extra.stop()
        assert len(claims.requests) == 1 and claims.requests[0]["verified"]
        assert len(extra.requests) == 1 and extra.requests[0]["verified"]  # checked by hand
        assert claims.ids() != extra.ids()
        assert sorted(Handoff.objects.values_list("status", flat=True)) == ["delivered"] * 2


@pytest.mark.django_db(transaction=True)
class TestRetriesWithTheWorker:
    """Production's arrangement: jobs in the database, run by `manage.py db_worker`."""

    @pytest.fixture(autouse=True)
    def database_tasks(self, migrated_db, settings):
        settings.TASKS = DATABASE_TASKS

    def test_500_twice_then_200_is_one_successful_delivery(self, receivers, settings):
        settings.LEADS_WEBHOOK_RETRY_BASE_SECONDS = 0  # each retry due at once
        receiver = receivers(500, 500, 200)
        lead = contacted_lead()
        casework.change_status(lead, LeadStatus.QUALIFIED, None)  # commits: job written
        jobs = DBTaskResult.objects.filter(task_path=handoff.deliver_handoff.module_path)
        assert jobs.count() == 1
        assert receiver.requests == []  # nothing inside the request

        run_worker()

        assert [r["answer"] for r in receiver.requests] == [500, 500, 200]
        assert all(r["verified"] for r in receiver.requests)
        sent = Handoff.objects.get(lead=lead)
        assert set(receiver.ids()) == {sent.webhook_id}  # the same id on every try
        assert list(receiver.accepted) == [sent.webhook_id]
        assert sent.status == HandoffStatus.DELIVERED
        assert sent.attempts == 3
        assert outcomes(sent) == [("retry", 500), ("retry", 500), ("delivered", 200)]
        assert sorted(jobs.values_list("status", flat=True)) == ["SUCCESSFUL"] * 3

    def test_a_network_error_is_retried_with_doubling_backoff(self, settings):
        settings.LEADS_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/nobody-listens"
        settings.LEADS_WEBHOOK_SECRET = SECRET
        lead = contacted_lead()
        casework.change_status(lead, LeadStatus.QUALIFIED, None)
        sent = Handoff.objects.get(lead=lead)

        before = timezone.now()
        assert handoff.deliver(sent.pk) == "retrying"
        sent.refresh_from_db()
        assert sent.status == HandoffStatus.RETRYING
        assert "ConnectionRefusedError" in sent.last_error
        first = sent.next_attempt_at - before
        assert datetime.timedelta(seconds=59) < first <= datetime.timedelta(seconds=61)
        booked = DBTaskResult.objects.filter(
            task_path=handoff.deliver_handoff.module_path, status="READY"
        ).order_by("-enqueued_at")[0]
        assert booked.run_after == sent.next_attempt_at

        # Not due yet: a job that runs early sends nothing.
        assert handoff.deliver(sent.pk) == HandoffStatus.RETRYING
        assert sent.deliveries.count() == 1

        Handoff.objects.filter(pk=sent.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        handoff.deliver(sent.pk)
        sent.refresh_from_db()
        second = sent.next_attempt_at - before
        assert datetime.timedelta(seconds=119) < second <= datetime.timedelta(seconds=121)


class TestFailures:
    @pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
    def test_5xx_408_and_429_are_retried(self, receivers, status, settings):
        settings.LEADS_WEBHOOK_MAX_ATTEMPTS = 3
        receivers(status)
        lead = contacted_lead()
        made = handoff.hand_off(lead, None, Handoff.Trigger.MANUAL)[0]
        # The immediate backend runs each retry at once, so the limit is reached here.
        handoff.deliver(made.pk)
        made.refresh_from_db()
        assert made.status == HandoffStatus.GAVE_UP
        assert outcomes(made) == [("retry", status), ("retry", status), ("gave_up", status)]

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422, 301, 302])
    def test_other_answers_give_up_at_once_and_are_logged(self, receivers, status, caplog, manager):
        receiver = receivers(status)
        lead = contacted_lead()
        made = handoff.hand_off(lead, manager, Handoff.Trigger.MANUAL)[0]
        with caplog.at_level(logging.INFO, logger="leads"):
            assert handoff.deliver(made.pk) == "gave up"
        assert len(receiver.requests) == 1  # a redirect is not followed
        made.refresh_from_db()
        assert made.status == HandoffStatus.GAVE_UP
        assert made.last_status_code == status
        assert outcomes(made) == [("gave_up", status)]
        assert f"HTTP {status}" in caplog.text and "gave up" in caplog.text
        actions = ModelLogEntry.objects.for_instance(lead).values_list("action", flat=True)
        assert "leads.handoff_gave_up" in actions

    def test_a_receiver_slower_than_the_timeout_is_a_network_error(self, receivers, settings):
        settings.LEADS_WEBHOOK_TIMEOUT_SECONDS = 0.3
        settings.LEADS_WEBHOOK_MAX_ATTEMPTS = 1
        receivers(200, hold_first=2)
        made = handoff.hand_off(contacted_lead(), None, Handoff.Trigger.MANUAL)[0]
        handoff.deliver(made.pk)
        made.refresh_from_db()
        assert made.status == HandoffStatus.GAVE_UP
        assert "timed out" in made.last_error.lower()

    def test_a_removed_address_or_inactive_endpoint_gives_up_without_sending(
        self, receivers, settings
    ):
        receiver = receivers(200)
        endpoint = WebhookEndpoint.objects.create(name="Other", url=receiver.url, secret=SECRET)
        lead = contacted_lead()
        env_one, endpoint_one = handoff.hand_off(lead, None, Handoff.Trigger.MANUAL)
        settings.LEADS_WEBHOOK_URL = ""
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
        handoff.deliver(env_one.pk)
        handoff.deliver(endpoint_one.pk)
        assert receiver.requests == []
        assert set(Handoff.objects.values_list("status", flat=True)) == {HandoffStatus.GAVE_UP}

    def test_logs_and_the_delivery_log_hold_no_personal_data(
        self, receivers, caplog, settings, manager
    ):
        settings.LEADS_WEBHOOK_MAX_ATTEMPTS = 2
        receivers(503)
        lead = contacted_lead()
        with caplog.at_level(logging.DEBUG):
            made = handoff.hand_off(lead, manager, Handoff.Trigger.MANUAL)[0]
            handoff.deliver(made.pk)
        stored = " ".join(
            str(row)
            for row in [
                *Handoff.objects.values_list(),
                *HandoffDelivery.objects.values_list(),
                *ModelLogEntry.objects.for_instance(lead).values_list("data", flat=True),
            ]
        )
        assert "retry" in stored and "503" in stored  # the log is there
        for value in [*PERSON.values(), "496 0982", "Zoë", "obrien"]:
            assert value not in caplog.text
            assert value not in stored


class TestOneSenderAtATime:
    def test_a_hand_off_held_by_another_worker_is_not_sent_again(self, receivers):
        receiver = receivers(200)
        made = handoff.hand_off(contacted_lead(), None, Handoff.Trigger.MANUAL)[0]
        other_worker = handoff.claim(made.pk)
        assert other_worker is not None

        assert handoff.deliver(made.pk) == "held by another worker"
        assert receiver.requests == []

        # That worker died: once its claim runs out the next job takes over, and the try
        # it left unfinished shows as interrupted.
        Handoff.objects.filter(pk=made.pk).update(
            claimed_until=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert handoff.deliver(made.pk) == "delivered"
        assert len(receiver.requests) == 1
        assert outcomes(made) == [("interrupted", None), ("delivered", 200)]

    def test_a_held_hand_off_books_its_job_for_when_the_claim_runs_out(self, receivers, settings):
        settings.TASKS = DATABASE_TASKS
        receivers(200)
        made = handoff.hand_off(contacted_lead(), None, Handoff.Trigger.MANUAL)[0]
        handoff.claim(made.pk)
        handoff.deliver(made.pk)
        made.refresh_from_db()
        booked = DBTaskResult.objects.get(task_path=handoff.deliver_handoff.module_path)
        assert booked.run_after == made.claimed_until

    def test_a_late_failure_from_a_worker_that_lost_its_claim_changes_nothing(self, receivers):
        receivers(200)
        made = handoff.hand_off(contacted_lead(), None, Handoff.Trigger.MANUAL)[0]
        slow_handoff, slow_try, slow_token = handoff.claim(made.pk)
        Handoff.objects.filter(pk=made.pk).update(
            claimed_until=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert handoff.deliver(made.pk) == "delivered"
        # The slow worker's timeout finally comes back.
        result = handoff.record_failure(
            slow_handoff, slow_try, slow_token, None, "TimeoutError", retryable=True
        )
        assert result == "taken over"
        made.refresh_from_db()
        assert made.status == HandoffStatus.DELIVERED

    def test_two_claims_at_once_one_wins(self, receivers):
        receivers(200)
        made = handoff.hand_off(contacted_lead(), None, Handoff.Trigger.MANUAL)[0]
        assert handoff.claim(made.pk) is not None
        assert handoff.claim(made.pk) is None


class TestTheSweep:
    @pytest.fixture(autouse=True)
    def database_tasks(self, settings):
        settings.TASKS = DATABASE_TASKS
        settings.LEADS_NOTIFY_STALLED_AFTER_SECONDS = 300

    def jobs(self, **filters):
        return DBTaskResult.objects.filter(task_path=handoff.deliver_handoff.module_path, **filters)

    def test_a_delivery_whose_worker_died_is_run_again(self, receivers):
        receivers(200)
        made = handoff.hand_off(contacted_lead(), None, Handoff.Trigger.MANUAL)[0]
        job_id = handoff.schedule_delivery(made.pk)
        handoff.claim(made.pk)
        long_ago = timezone.now() - datetime.timedelta(seconds=600)
        self.jobs(pk=job_id).update(status="RUNNING", started_at=long_ago)
        Handoff.objects.filter(pk=made.pk).update(claimed_until=long_ago)

        recover_stalled_notifications.call()

        assert self.jobs(pk=job_id).get().exception_class_path == "leads.stalled.WorkerLost"
        fresh = self.jobs(status="READY").get()
        assert fresh.args_kwargs["args"] == [made.pk]

    def test_a_due_hand_off_with_no_job_gets_one_and_only_one(self):
        made = Handoff.objects.create(
            lead=contacted_lead(),
            webhook_id=handoff.new_webhook_id(),
            trigger=Handoff.Trigger.QUALIFIED,
            next_attempt_at=timezone.now() - datetime.timedelta(seconds=301),
        )
        recover_stalled_notifications.call()
        recover_stalled_notifications.call()
        assert self.jobs(status="READY").get().args_kwargs["args"] == [made.pk]

    def test_delivered_and_recent_hand_offs_are_left_alone(self):
        lead = contacted_lead()
        Handoff.objects.create(
            lead=lead,
            webhook_id=handoff.new_webhook_id(),
            trigger=Handoff.Trigger.QUALIFIED,
            status=HandoffStatus.DELIVERED,
            next_attempt_at=timezone.now() - datetime.timedelta(days=1),
        )
        Handoff.objects.create(
            lead=contacted_lead(),
            webhook_id=handoff.new_webhook_id(),
            trigger=Handoff.Trigger.QUALIFIED,
            next_attempt_at=timezone.now(),
        )
        recover_stalled_notifications.call()
        assert not self.jobs().exists()


class TestTheDesk:
    def inspect(self, lead):
        return f"/admin/leads/lead/inspect/{lead.pk}/"

    def test_send_to_claims_system_then_replay_with_the_same_id(
        self, client, manager, receivers, django_capture_on_commit_callbacks
    ):
        receiver = receivers(200)
        sign_in_with_second_factor(client, manager)
        lead = make_lead(**PERSON)  # new: not qualified

        page = client.get(self.inspect(lead)).content.decode()
        assert "Not handed off" in page and "Send to claims system" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.inspect(lead), {"action": "handoff"}, follow=True)
        assert "Sending the lead to the claims system." in response.content.decode()
        sent = Handoff.objects.get(lead=lead)
        assert sent.trigger == "manual" and sent.requested_by == manager
        assert receiver.ids() == [sent.webhook_id]

        page = client.get(self.inspect(lead)).content.decode()
        assert sent.webhook_id in page and "Delivered" in page
        assert "Send to claims system" not in page  # it has gone; replay instead

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                self.inspect(lead), {"action": "replay", "handoff": sent.pk}, follow=True
            )
        assert f"Sending hand-off {sent.webhook_id} again." in response.content.decode()
        assert receiver.ids() == [sent.webhook_id, sent.webhook_id]
        assert len(receiver.accepted) == 1  # the receiver took the lead once
        assert outcomes(sent) == [("delivered", 200), ("delivered", 200)]
        entries = ModelLogEntry.objects.for_instance(lead).filter(user=manager)
        assert {"leads.handoff", "leads.handoff_replay"} <= set(
            entries.values_list("action", flat=True)
        )

    def test_a_receiver_added_later_is_offered_and_only_it_is_sent_to(
        self, client, manager, receivers, django_capture_on_commit_callbacks
    ):
        claims = receivers(200)
        sign_in_with_second_factor(client, manager)
        lead = contacted_lead()
        qualify(lead, manager, django_capture_on_commit_callbacks)
        assert "Send to claims system" not in client.get(self.inspect(lead)).content.decode()
        later = Receiver(SECRET, (200,)).start()
        try:
            WebhookEndpoint.objects.create(name="Later", url=later.url, secret=SECRET)
            assert "Send to claims system" in client.get(self.inspect(lead)).content.decode()
            with django_capture_on_commit_callbacks(execute=True):
                client.post(self.inspect(lead), {"action": "handoff"})
        finally:
            later.stop()
        assert len(claims.requests) == 1 and len(later.requests) == 1
        assert Handoff.objects.filter(lead=lead).count() == 2

    def test_replay_while_waiting_is_refused(self, client, manager, receivers):
        receivers(200)
        sign_in_with_second_factor(client, manager)
        lead = contacted_lead()
        made = handoff.hand_off(lead, manager, Handoff.Trigger.MANUAL)[0]  # never committed
        response = client.post(
            self.inspect(lead), {"action": "replay", "handoff": made.pk}, follow=True
        )
        assert "waiting or being sent already" in response.content.decode()

    @pytest.mark.parametrize("bad", ["abc", "999999", "", "99999999999999999999", "１２", "-1"])
    def test_replay_of_an_unknown_hand_off_is_a_message_not_a_500(
        self, client, manager, receivers, bad
    ):
        receivers(200)
        sign_in_with_second_factor(client, manager)
        lead = contacted_lead()
        response = client.post(self.inspect(lead), {"action": "replay", "handoff": bad})
        assert response.status_code == 302

    def test_without_the_permission_nothing_is_sent(
        self, client, django_user_model, receivers, django_capture_on_commit_callbacks
    ):
        receiver = receivers(200)
        worker = django_user_model.objects.create_user("worker", password="x")
        worker.groups.add(Group.objects.get(name="Lead managers"))
        Group.objects.get(name="Lead managers").permissions.remove(
            *Group.objects.get(name="Lead managers").permissions.filter(codename="handoff_lead")
        )
        sign_in_with_second_factor(client, worker)
        lead = contacted_lead()
        assert "Send to claims system" not in client.get(self.inspect(lead)).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.inspect(lead), {"action": "handoff"})
        assert response.status_code == 403
        assert receiver.requests == [] and not Handoff.objects.exists()

    def test_lead_managers_are_given_the_permission(self):
        managers = Group.objects.get(name="Lead managers")
        assert managers.permissions.filter(codename="handoff_lead").exists()
        assert (
            not Group.objects.get(name="Editors")
            .permissions.filter(codename="handoff_lead")
            .exists()
        )

    def test_no_receiver_configured_is_said(self, client, manager):
        sign_in_with_second_factor(client, manager)
        lead = contacted_lead()
        response = client.post(self.inspect(lead), {"action": "handoff"}, follow=True)
        assert "No claims system is configured" in response.content.decode()


def test_erasing_the_person_erases_their_hand_offs(receivers, manager):
    receivers(200)
    lead = contacted_lead()
    made = handoff.hand_off(lead, manager, Handoff.Trigger.MANUAL)[0]
    handoff.deliver(made.pk)
    assert HandoffDelivery.objects.exists()
    subject_rights.erase_person(PERSON["email"], "", manager)
    assert not Handoff.objects.exists()
    assert not HandoffDelivery.objects.exists()


def test_the_body_costs_the_same_queries_however_many_notes_and_calls(
    receivers, manager, django_assert_num_queries
):
    receivers(200)
    counts = []
    for notes in (1, 12):
        lead = contacted_lead()
        for n in range(notes):
            LeadNote.objects.create(lead=lead, author=manager, text=f"note {n}")
            CallAttempt.objects.create(
                lead=lead, user=manager, outcome=CallOutcome.NO_ANSWER, note=f"call {n}"
            )
        made = handoff.hand_off(lead, manager, Handoff.Trigger.MANUAL)[0]
        with django_assert_num_queries(3) as captured:
            # The hand-off with its lead and form (the claim's read), the notes with
            # their authors, then the call attempts.
            made = Handoff.objects.select_related("endpoint", "lead__form").get(pk=made.pk)
            body = handoff.body_of(made.lead, made)
        counts.append(len(captured.captured_queries))
        assert body.count(b'"text":"note') == notes
        attempts = json.loads(body)["data"]["lead"]["attempts"]
        assert [a["note"] for a in attempts] == [f"call {n}" for n in range(notes)]
        assert {a["outcome"] for a in attempts} == {"no_answer"}
    assert counts[0] == counts[1]


def test_a_fresh_webhook_id_each_hand_off():
    ids = {handoff.new_webhook_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("msg_") and len(i) == 36 for i in ids)


def test_secret_hint_never_shows_the_secret():
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    endpoint = WebhookEndpoint(name="x", url="https://claims.example/", secret=secret)
    assert endpoint.secret_hint == f"…{secret[-4:]}"
    assert WebhookEndpoint(name="y", url="https://c.example/", secret="short").secret_hint == "…"


def test_the_backoff_doubles_up_to_its_cap(settings):
    settings.LEADS_WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.LEADS_WEBHOOK_RETRY_MAX_SECONDS = 3600
    delays = [handoff.retry_delay(n).total_seconds() for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]
