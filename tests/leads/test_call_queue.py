"""The call queue: when each lead is due (working hours, slots, weekends, bank holidays per
nation), the order the desk sees, recording calls and what their outcomes do, the dashboard's
response times, and the escalation notice."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry

from leads import calls, casework, hours
from leads.models import CallAttempt, Lead
from leads.queue import percentile, queue, response_times
from leads.tasks import escalate_overdue, escalate_overdue_leads
from tests.leads.factories import make_lead
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

QUEUE = "/admin/leads/queue/"


def london(*args):
    return datetime(*args, tzinfo=hours.LONDON)


def queue_ids(html):
    return [int(pk) for pk in re.findall(r'data-lead="(\d+)"', html)]


class TestWhenALeadIsDue:
    """Easter 2026: Good Friday 3 April and Easter Monday 6 April are bank holidays in
    England, but in Scotland only Good Friday is."""

    def test_the_queue_order_across_a_weekend_and_a_bank_holiday(self, as_manager):
        now = london(2026, 4, 7, 10, 30)  # Tuesday after Easter, BST
        thursday_afternoon = make_lead(
            callback_time="afternoon", created_at=london(2026, 4, 2, 10, 0)
        )
        thursday_night_morning = make_lead(
            callback_time="morning", created_at=london(2026, 4, 2, 21, 0)
        )
        saturday_evening = make_lead(callback_time="evening", created_at=london(2026, 4, 4, 10))
        sunday_any = make_lead(callback_time="any", created_at=london(2026, 4, 5, 12, 0))
        easter_monday_afternoon = make_lead(
            callback_time="afternoon", created_at=london(2026, 4, 6, 14, 0)
        )
        make_lead(callback_time="any", created_at=london(2026, 4, 5, 12), is_spam=True)
        make_lead(callback_time="any", created_at=london(2026, 4, 5, 12), status="qualified")

        due = {lead.pk: lead.due_at for lead in Lead.objects.all()}
        assert due[thursday_afternoon.pk] == london(2026, 4, 2, 12, 0)
        assert due[thursday_night_morning.pk] == london(2026, 4, 7, 9, 0)
        assert due[saturday_evening.pk] == london(2026, 4, 7, 17, 0)
        assert due[sunday_any.pk] == london(2026, 4, 7, 9, 0)
        assert due[easter_monday_afternoon.pk] == london(2026, 4, 7, 12, 0)
        # Stored in UTC: 09:00 BST is 08:00 UTC.
        assert due[sunday_any.pk] == datetime(2026, 4, 7, 8, 0, tzinfo=UTC)

        expected = [
            thursday_afternoon.pk,
            thursday_night_morning.pk,
            sunday_any.pk,
            easter_monday_afternoon.pk,
            saturday_evening.pk,
        ]
        assert [lead.pk for lead in queue()] == expected
        overdue = [lead.pk for lead in queue() if lead.due_at < now]
        assert overdue == expected[:3]
        html = as_manager.get(QUEUE).content.decode()
        assert queue_ids(html) == expected

    def test_scotland_works_on_easter_monday(self, settings):
        settings.LEADS_BANK_HOLIDAY_NATION = "SCT"
        sunday = make_lead(callback_time="any", created_at=london(2026, 4, 5, 12, 0))
        friday = make_lead(callback_time="morning", created_at=london(2026, 4, 3, 8, 0))
        assert sunday.due_at == london(2026, 4, 6, 9, 0)
        assert friday.due_at == london(2026, 4, 6, 9, 0)  # Good Friday is off in Scotland too

    def test_a_mistyped_nation_still_stores_the_lead_with_uk_wide_holidays(self, settings):
        settings.LEADS_BANK_HOLIDAY_NATION = "XX"
        lead = make_lead(callback_time="any", created_at=london(2026, 12, 24, 21, 0))
        assert lead.due_at == london(2026, 12, 29, 9, 0)

    def test_within_the_slot_a_lead_is_due_at_once_and_after_hours_the_next_morning(self):
        assert hours.next_due(london(2026, 12, 1, 10, 15), "morning") == london(2026, 12, 1, 10, 15)
        assert hours.next_due(london(2026, 12, 1, 10, 15), "evening") == london(2026, 12, 1, 17)
        assert hours.next_due(london(2026, 12, 1, 20, 0), "any") == london(2026, 12, 2, 9, 0)
        # Christmas Day and Boxing Day (observed on Monday 28th) are off.
        assert hours.next_due(london(2026, 12, 24, 20, 30), "any") == london(2026, 12, 29, 9)

    def test_working_hours_and_slots_are_settings(self, settings):
        settings.LEADS_WORKING_HOURS = ("08:00", "18:00")
        settings.LEADS_WORKING_DAYS = (0, 1, 2, 3, 4, 5)
        assert hours.next_due(london(2026, 12, 4, 18, 30), "any") == london(2026, 12, 5, 8)
        # The evening slot is cut to the hours: 17:00 to 18:00.
        assert hours.next_due(london(2026, 12, 4, 17, 59), "evening") == london(2026, 12, 4, 17, 59)


def post_call(client, lead, outcome, **fields):
    data = {f"lead-{lead.pk}-outcome": outcome}
    data.update({f"lead-{lead.pk}-{name}": value for name, value in fields.items()})
    return client.post(f"{QUEUE}{lead.pk}/call/", data)


class TestRecordingCalls:
    def test_three_missed_calls_close_the_lead_as_unreachable(self, as_manager, settings):
        settings.LEADS_UNREACHABLE_AFTER_ATTEMPTS = 3
        lead = make_lead()
        for outcome in ("no_answer", "voicemail"):
            response = post_call(as_manager, lead, outcome)
            assert response.status_code == 302
            lead.refresh_from_db()
            assert lead.status == "new"
            assert lead.due_at > timezone.now() + timedelta(minutes=119)
        response = post_call(as_manager, lead, "no_answer", note="Rang twice")
        lead.refresh_from_db()
        assert lead.status == "unreachable"
        assert lead.pk not in [row.pk for row in queue()]
        assert list(lead.attempts.values_list("outcome", flat=True)) == [
            "no_answer",
            "voicemail",
            "no_answer",
        ]
        actions = list(
            ModelLogEntry.objects.for_instance(lead)
            .order_by("timestamp", "pk")
            .values_list("action", "data")
        )
        assert [action for action, _ in actions] == [
            "leads.attempt",
            "leads.attempt",
            "leads.attempt",
            "leads.status",
        ]
        assert "Rang twice" not in str(actions)
        page = as_manager.get(f"/admin/leads/lead/inspect/{lead.pk}/").content.decode()
        assert "Rang twice" in page
        assert "Left a voicemail" in page and "Recorded a call" in page

    def test_spoke_qualified_moves_the_status_through_the_workflow(self, as_manager):
        lead = make_lead()
        follow = as_manager.post(
            f"{QUEUE}{lead.pk}/call/", {f"lead-{lead.pk}-outcome": "qualified"}, follow=True
        )
        assert f"Lead #{lead.pk}: spoke — qualified. Qualified; it has left the queue." in (
            follow.content.decode()
        )
        lead.refresh_from_db()
        assert lead.status == "qualified"
        moves = [
            (entry.data["from"], entry.data["to"])
            for entry in ModelLogEntry.objects.for_instance(lead)
            .filter(action="leads.status")
            .order_by("timestamp", "pk")
        ]
        assert moves == [("new", "contacted"), ("contacted", "qualified")]
        assert lead.first_attempt_at == lead.first_conversation_at

    def test_call_back_later_needs_a_time_shown_beside_the_field(self, as_manager):
        lead = make_lead()
        response = post_call(as_manager, lead, "call_back", note="Busy")
        assert response.status_code == 400
        html = response.content.decode()
        field_id = f"id_lead-{lead.pk}-callback_at"
        assert f'aria-describedby="{field_id}-error"' in html
        assert f'id="{field_id}-error">Choose when to call back<' in html
        assert not CallAttempt.objects.exists()
        past = post_call(as_manager, lead, "call_back", callback_at="2020-01-01T10:00")
        assert "Choose a time in the future" in past.content.decode()

    def test_call_back_later_makes_the_lead_due_then(self, as_manager):
        lead = make_lead()
        when = timezone.localtime() + timedelta(days=2)
        text = when.strftime("%Y-%m-%dT%H:%M")
        assert post_call(as_manager, lead, "call_back", callback_at=text).status_code == 302
        lead.refresh_from_db()
        assert lead.status == "contacted"
        assert timezone.localtime(lead.due_at).strftime("%Y-%m-%dT%H:%M") == text
        assert lead.pk in [row.pk for row in queue()]

    def test_wrong_number_and_not_eligible_leave_the_queue(self, as_manager):
        wrong = make_lead()
        not_eligible = make_lead()
        post_call(as_manager, wrong, "wrong_number")
        post_call(as_manager, not_eligible, "not_eligible")
        assert Lead.objects.get(pk=wrong.pk).status == "unreachable"
        assert Lead.objects.get(pk=not_eligible.pk).status == "not_qualified"
        assert list(queue()) == []

    @pytest.mark.parametrize("outcome", ["", "explode", "<script>"])
    def test_an_unknown_outcome_is_refused_and_nothing_stored(self, as_manager, outcome):
        lead = make_lead()
        assert post_call(as_manager, lead, outcome).status_code == 400
        assert not CallAttempt.objects.exists()

    def test_spam_and_closed_leads_are_not_called_from_the_queue(self, as_manager):
        spam = make_lead(is_spam=True)
        assert post_call(as_manager, spam, "no_answer").status_code == 404
        closed = make_lead(status="closed")
        response = as_manager.post(
            f"{QUEUE}{closed.pk}/call/", {f"lead-{closed.pk}-outcome": "no_answer"}, follow=True
        )
        assert "no longer in the queue" in response.content.decode()
        assert not CallAttempt.objects.exists()

    def test_a_lead_held_for_review_joins_the_queue_when_cleared_as_genuine(
        self, as_manager, manager
    ):
        held = make_lead(needs_review=True, review_reasons="busy_address")
        assert held.pk not in [row.pk for row in queue()]
        response = as_manager.post(
            f"{QUEUE}{held.pk}/call/", {f"lead-{held.pk}-outcome": "no_answer"}, follow=True
        )
        assert "held for review" in response.content.decode()
        assert not CallAttempt.objects.exists()
        assert casework.clear_review([held.pk], manager) == 1
        assert held.pk in [row.pk for row in queue()]

    def test_viewers_see_the_queue_but_cannot_record_calls(self, client, django_user_model):
        user = django_user_model.objects.create_user("viewer", password="x")
        user.user_permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_lead"),
        )
        lead = make_lead(full_name="Visible Vera")
        sign_in_with_second_factor(client, user)
        html = client.get(QUEUE).content.decode()
        assert "Visible Vera" in html and "Record a call" not in html
        assert post_call(client, lead, "no_answer").status_code == 403
        assert not CallAttempt.objects.exists()

    def test_editors_have_no_queue(self, client, django_user_model):
        editor = django_user_model.objects.create_user("editor", password="x")
        editor.groups.add(Group.objects.get(name="Editors"))
        make_lead()
        client.force_login(editor)
        assert client.get(QUEUE).status_code == 403
        assert QUEUE not in client.get("/admin/").content.decode()


class TestQueueFilters:
    def test_mine_and_nobody(self, as_manager, manager, django_user_model):
        other = django_user_model.objects.create_user("other")
        mine = make_lead(owner=manager)
        theirs = make_lead(owner=other)
        nobodys = make_lead()
        assert queue_ids(as_manager.get(QUEUE, {"owner": "mine"}).content.decode()) == [mine.pk]
        assert queue_ids(as_manager.get(QUEUE, {"owner": "none"}).content.decode()) == [nobodys.pk]
        assert set(queue_ids(as_manager.get(QUEUE).content.decode())) == {
            mine.pk,
            theirs.pk,
            nobodys.pk,
        }

    def test_by_form_and_breach_type(self, as_manager, demo_site):
        from django.apps import apps

        page_model = apps.get_model("breaches", "BreachCaseStudyPage")
        page = page_model.objects.filter(breach_types__isnull=False).first()
        breach_type = page.breach_types.first()
        from leads.models import CallBackForm

        form = CallBackForm.objects.first()
        tagged = make_lead(source_page=page)
        with_form = make_lead(form=form)
        html = as_manager.get(QUEUE, {"breach_type": breach_type.pk}).content.decode()
        assert queue_ids(html) == [tagged.pk]
        assert queue_ids(as_manager.get(QUEUE, {"form": form.pk}).content.decode()) == [
            with_form.pk
        ]

    def test_a_bad_filter_value_is_shown_beside_its_filter(self, as_manager):
        lead = make_lead()
        response = as_manager.get(QUEUE, {"owner": "everyone", "form": "%00"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="queue-owner-error"' in html
        assert queue_ids(html) == [lead.pk]

    def test_queries_do_not_grow_with_the_queue(self, as_manager, manager):
        def count():
            with CaptureQueriesContext(connection) as queries:
                assert as_manager.get(QUEUE).status_code == 200
            return len(queries)

        for _ in range(3):
            calls.record_attempt(make_lead(owner=manager), "no_answer", manager)
        few = count()
        for _ in range(20):
            calls.record_attempt(make_lead(owner=manager), "voicemail", manager)
        assert count() == few


class TestResponseTimes:
    def test_percentile_is_the_nearest_rank(self):
        assert percentile([], 0.5) is None
        assert percentile([5, 1, 3], 0.5) == 3
        assert percentile(list(range(1, 11)), 0.9) == 9
        assert percentile(list(range(1, 11)), 0.5) == 5

    def test_this_week_and_last_week_from_the_slot(self, manager):
        now = london(2026, 12, 3, 18, 0)  # Thursday
        # This week: first calls 10, 20, 30 and 90 minutes after the slot opened.
        for minutes in (10, 20, 30, 90):
            lead = make_lead(callback_time="morning", created_at=london(2026, 12, 1, 8, 0))
            calls.record_attempt(
                lead, "no_answer", manager, now=lead.slot_at + timedelta(minutes=minutes)
            )
        spoke = Lead.objects.order_by("pk").first()
        calls.record_attempt(spoke, "qualified", manager, now=spoke.slot_at + timedelta(hours=3))
        # Last week: one lead, called 5 minutes before its slot opened (counts as 0).
        early = make_lead(callback_time="evening", created_at=london(2026, 11, 24, 9, 0))
        calls.record_attempt(early, "no_answer", manager, now=early.slot_at - timedelta(minutes=5))
        make_lead(callback_time="any", created_at=london(2026, 12, 3, 9, 0))  # not called yet

        figures = response_times(now)
        assert figures["this_week"]["call"] == {"median": 20.0, "p90": 90.0, "count": 4}
        assert figures["this_week"]["conversation"] == {"median": 180.0, "p90": 180.0, "count": 1}
        assert figures["last_week"]["call"] == {"median": 0.0, "p90": 0.0, "count": 1}
        assert figures["overdue"] == 5  # four retried at 10:10..11:30 + the uncalled one

    def test_the_dashboard_shows_them_and_the_overdue_count(self, as_manager, manager):
        lead = make_lead(created_at=timezone.now() - timedelta(days=3), callback_time="any")
        make_lead(created_at=timezone.now() - timedelta(days=3), callback_time="any")
        calls.record_attempt(lead, "qualified", manager, now=lead.slot_at + timedelta(minutes=42))
        html = as_manager.get("/admin/").content.decode()
        assert "1 overdue</span> in the call queue" in html
        assert "Slot to first call" in html
        assert QUEUE in html

    def test_dashboard_queries_do_not_grow_with_leads_and_calls(self, as_manager, manager):
        def count():
            with CaptureQueriesContext(connection) as queries:
                assert as_manager.get("/admin/").status_code == 200
            return len(queries)

        def called_leads(n):
            for _ in range(n):
                lead = make_lead(created_at=timezone.now() - timedelta(days=1))
                calls.record_attempt(lead, "call_back", manager, callback_at=timezone.now())

        called_leads(2)
        count()  # the first admin request of a process fills per-process caches
        few = count()
        called_leads(15)
        assert count() == few


class TestEscalation:
    def test_one_notice_per_due_time_with_no_personal_data(self, manager, mailoutbox, settings):
        settings.LEADS_ESCALATE_AFTER_MINUTES = 30
        now = timezone.now()
        late = make_lead(full_name="Ursula Untouched", email="ursula@example.com")
        Lead.objects.filter(pk=late.pk).update(due_at=now - timedelta(minutes=31))
        recent = make_lead()
        Lead.objects.filter(pk=recent.pk).update(due_at=now - timedelta(minutes=29))

        assert escalate_overdue(now) == 1
        assert escalate_overdue(now) == 0
        assert len(mailoutbox) == 1
        mail = mailoutbox[0]
        assert mail.to == ["manager@firm.example"]
        assert f"Lead #{late.pk}" in mail.body
        assert f"Lead #{recent.pk}" not in mail.body
        assert f"http://testserver/admin/leads/lead/inspect/{late.pk}/" in mail.body
        assert "http://testserver/admin/leads/queue/" in mail.body
        for value in ("Ursula", "ursula@", late.phone, late.phone_dialled):
            assert value not in mail.body + mail.subject

        # Called, missed, due again later and left untouched: a new notice.
        calls.record_attempt(late, "no_answer", manager, now=now)
        late.refresh_from_db()
        again = late.due_at + timedelta(minutes=31)
        assert escalate_overdue(again) >= 1
        assert len(mailoutbox) == 2

    def test_the_sweep_is_a_task(self, manager, mailoutbox):
        lead = make_lead()
        Lead.objects.filter(pk=lead.pk).update(due_at=timezone.now() - timedelta(hours=2))
        escalate_overdue_leads.enqueue()
        assert len(mailoutbox) == 1

    def test_a_failed_send_is_tried_again_next_sweep(self, manager, settings, mailoutbox):
        lead = make_lead()
        Lead.objects.filter(pk=lead.pk).update(due_at=timezone.now() - timedelta(hours=2))
        settings.EMAIL_BACKEND = "tests.leads.test_call_queue.BrokenMail"
        assert escalate_overdue() == 0
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert escalate_overdue() == 1


class BrokenMail:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_leads_stored_before_the_queue_get_their_slot_and_are_not_escalated(manager):
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("leads.migrations.0009_call_queue")
    lead = make_lead(callback_time="evening", created_at=london(2026, 11, 27, 21, 0))
    Lead.objects.filter(pk=lead.pk).update(slot_at=None, due_at=None)
    migration.fill_due_times(django_apps, None)
    lead.refresh_from_db()
    assert lead.slot_at == lead.due_at == london(2026, 11, 30, 17, 0)
    assert escalate_overdue() == 0
