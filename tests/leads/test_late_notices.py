"""The desk shows a lead whose notice to the claims team is late, so a stopped task worker is
noticed within minutes: a column value, a filter, the lead's page and the dashboard."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from tests.leads.factories import make_lead
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

INDEX = "/admin/leads/lead/"

BADGE = 'class="w-status w-status--primary">Notice late</span>'


def ago(**delta):
    return timezone.now() - timedelta(**delta)


@pytest.fixture
def as_manager(client, django_user_model):
    user = django_user_model.objects.create_user("manager", password="x")
    user.groups.add(Group.objects.get(name="Lead managers"))
    return sign_in_with_second_factor(client, user)


@pytest.fixture
def leads():
    """One lead of each kind, named for what the desk should say about it."""
    return {
        "late pending": make_lead(
            full_name="Late Pending", notification_status="pending", created_at=ago(minutes=11)
        ),
        "fresh pending": make_lead(
            full_name="Fresh Pending", notification_status="pending", created_at=ago(minutes=2)
        ),
        "late retry": make_lead(
            full_name="Late Retry",
            notification_status="retrying",
            created_at=ago(hours=2),
            notification_next_attempt_at=ago(minutes=15),
        ),
        "retry not due": make_lead(
            full_name="Retry Not Due",
            notification_status="retrying",
            created_at=ago(hours=1),
            notification_next_attempt_at=ago(minutes=-30),
        ),
        "sent long ago": make_lead(
            full_name="Sent Long Ago", notification_status="sent", created_at=ago(days=3)
        ),
    }


def test_the_list_marks_exactly_the_late_notices(as_manager, leads):
    html = as_manager.get(INDEX).content.decode()
    assert "Notice to the claims team" in html  # the column
    assert html.count(BADGE) == 2
    for row in html.split("<tr")[1:]:
        if "Late Pending" in row or "Late Retry" in row:
            assert BADGE in row
        elif any(name in row for name in ("Fresh Pending", "Retry Not Due", "Sent Long Ago")):
            assert BADGE not in row
            assert "Waiting to be sent" in row or "will retry" in row or "Sent" in row


def test_the_filter_lists_only_the_late_ones(as_manager, leads):
    html = as_manager.get(INDEX, {"notice": "late"}).content.decode()
    assert "Late Pending" in html
    assert "Late Retry" in html
    for name in ("Fresh Pending", "Retry Not Due", "Sent Long Ago"):
        assert name not in html


def test_the_limit_is_a_setting(as_manager, leads, settings):
    settings.LEADS_NOTIFY_LATE_AFTER_SECONDS = 60
    html = as_manager.get(INDEX, {"notice": "late"}).content.decode()
    assert "Fresh Pending" in html
    assert html.count(BADGE) == 3


def test_the_leads_page_says_its_notice_is_late(as_manager, leads):
    late = as_manager.get(f"{INDEX}inspect/{leads['late pending'].pk}/").content.decode()
    assert BADGE in late
    assert "the task worker may be stopped" in late
    fresh = as_manager.get(f"{INDEX}inspect/{leads['fresh pending'].pk}/").content.decode()
    assert "Notice late" not in fresh
    assert "Waiting to be sent" in fresh


def test_the_dashboard_counts_late_notices_and_links_to_them(as_manager, leads):
    html = as_manager.get("/admin/").content.decode()
    assert "2 leads with a late notice" in html
    assert f'href="{INDEX}?notice=late"' in html


def test_the_dashboard_is_quiet_when_nothing_is_late(as_manager):
    make_lead(notification_status="sent", created_at=ago(days=1))
    make_lead(notification_status="pending", created_at=ago(minutes=1))
    html = as_manager.get("/admin/").content.decode()
    assert 'id="leads-summary-heading"' in html
    assert "late notice" not in html
