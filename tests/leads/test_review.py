"""The leads held for review at the desk: who may see and clear them, what clearing does (a
genuine lead is then announced to the claims team, spam never is), and the audit trail."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ModelLogEntry

from leads.models import Lead, NotificationStatus
from tests.leads.factories import make_lead
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

REVIEW = "/admin/leads/review/"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def held(**fields):
    return make_lead(
        needs_review=True,
        review_reasons="busy_address",
        notification_status=NotificationStatus.HELD,
        **fields,
    )


@pytest.fixture
def as_manager(client, django_user_model):
    user = django_user_model.objects.create_user("manager", password="x")
    user.groups.add(Group.objects.get(name="Lead managers"))
    sign_in_with_second_factor(client, user)
    return client


def test_the_list_shows_held_leads_only_oldest_first(as_manager):
    first = held(full_name="Waiting Wendy")
    second = held(full_name="Patient Pat")
    make_lead(full_name="Announced Ann")
    body = as_manager.get(REVIEW).content.decode()
    assert "2 leads held for review" in body
    assert body.index("Waiting Wendy") < body.index("Patient Pat")
    assert "Announced Ann" not in body
    assert "Many requests from one address" in body
    assert f'id="review-lead-{first.pk}"' in body and f'for="review-lead-{second.pk}"' in body


def test_clearing_selected_leads_notifies_each_once(as_manager):
    leads = [held() for _ in range(3)]
    response = as_manager.post(
        REVIEW, {"action": "clear", "lead": [leads[0].pk, leads[1].pk]}, follow=True
    )
    assert "2 leads cleared; the claims team is being notified." in response.content.decode()
    states = dict(Lead.objects.values_list("pk", "notification_status"))
    assert states == {
        leads[0].pk: NotificationStatus.SENT,
        leads[1].pk: NotificationStatus.SENT,
        leads[2].pk: NotificationStatus.HELD,
    }
    assert sorted(message.subject for message in mail.outbox) == sorted(
        f"New call-back request #{lead.pk}" for lead in leads[:2]
    )
    # Clearing again (a second click, a colleague at the same time) sends nothing more.
    as_manager.post(REVIEW, {"action": "clear", "lead": [leads[0].pk]})
    assert len(mail.outbox) == 2
    cleared = Lead.objects.get(pk=leads[0].pk)
    assert not cleared.needs_review and cleared.review_reasons == "busy_address"
    entry = ModelLogEntry.objects.for_instance(cleared).get(action="leads.review")
    assert entry.data == {"spam": False}
    assert entry.user.username == "manager"


def test_all_on_the_page_and_spam(as_manager):
    leads = [held() for _ in range(4)]
    as_manager.post(REVIEW, {"action": "spam", "lead": [leads[0].pk]})
    spam = Lead.objects.get(pk=leads[0].pk)
    assert spam.is_spam and not spam.needs_review
    assert spam.notification_status == NotificationStatus.SKIPPED
    assert mail.outbox == []
    shown = [lead.pk for lead in leads[1:]]
    as_manager.post(REVIEW, {"action": "clear_page", "shown": shown})
    assert not Lead.objects.filter(needs_review=True).exists()
    assert len(mail.outbox) == 3


def test_nothing_selected_says_so(as_manager):
    held()
    response = as_manager.post(REVIEW, {"action": "clear"}, follow=True)
    assert "Select at least one lead first." in response.content.decode()
    assert Lead.objects.filter(needs_review=True).count() == 1


def test_one_lead_cleared_from_its_own_page(as_manager):
    lead = held()
    page = as_manager.get(f"/admin/leads/lead/inspect/{lead.pk}/").content.decode()
    assert "Many requests from one address" in page
    as_manager.post(f"/admin/leads/lead/inspect/{lead.pk}/", {"action": "review_clear"})
    lead.refresh_from_db()
    assert not lead.needs_review and lead.notification_status == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_the_desk_list_filters_on_the_hold(as_manager):
    held(full_name="Waiting Wendy")
    make_lead(full_name="Announced Ann")
    body = as_manager.get("/admin/leads/lead/?needs_review__exact=1").content.decode()
    assert "Waiting Wendy" in body and "Announced Ann" not in body
    assert "Held for review" in body


def test_who_may_see_and_clear(client, django_user_model):
    lead = held()
    editor = django_user_model.objects.create_user("editor", password="x")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get(REVIEW).status_code == 403
    assert client.post(REVIEW, {"action": "clear", "lead": [lead.pk]}).status_code == 403
    assert REVIEW not in client.get("/admin/").content.decode()

    viewer = django_user_model.objects.create_user("viewer", password="x")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_lead"),
    )
    sign_in_with_second_factor(client, viewer)
    assert client.get(REVIEW).status_code == 200
    assert client.post(REVIEW, {"action": "clear", "lead": [lead.pk]}).status_code == 403
    lead.refresh_from_db()
    assert lead.needs_review and mail.outbox == []


def test_hostile_input_is_refused_not_an_error(as_manager):
    lead = held()
    for data in [
        {"action": "clear", "lead": ["1 OR 1=1", "-1", ""]},
        {"action": "drop table", "lead": [lead.pk]},
        {"action": "clear_page", "shown": ["x" * 5000, "9" * 5000, "9" * 19]},
        {"action": "clear", "lead": [f"{lead.pk}".translate(FULLWIDTH)]},
    ]:
        response = as_manager.post(REVIEW, data)
        assert response.status_code == 302
    assert as_manager.get(REVIEW + "?p=abc").status_code == 200
    assert Lead.objects.get(pk=lead.pk).needs_review


def test_the_list_costs_the_same_queries_however_many_are_held(as_manager):
    def queries():
        with CaptureQueriesContext(connection) as context:
            assert as_manager.get(REVIEW).status_code == 200
        return len(context)

    held()
    few = queries()
    for _ in range(40):
        held()
    assert queries() == few


def test_the_dashboard_says_how_many_are_waiting(as_manager):
    assert "held for review" not in as_manager.get("/admin/").content.decode()
    held()
    held()
    body = as_manager.get("/admin/").content.decode()
    assert "2 leads held for review" in body
    assert f'href="{REVIEW}"' in body
