"""A lead manager finds the leads held for review, clears two with the keyboard and the mouse,
and the claims team is told about exactly those two."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import expect

from leads.models import Lead, NotificationStatus
from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.e2e.test_journeys import PASSWORD, sign_in
from tests.leads.factories import make_lead
from tests.second_factor import give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def held(name):
    return make_lead(
        full_name=name,
        needs_review=True,
        review_reasons="busy_address",
        notification_status=NotificationStatus.HELD,
    )


@pytest.fixture
def desk(migrated_db, live_server, django_user_model):  # noqa: F811 - the imported fixture
    user = django_user_model.objects.create_user("manager", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Lead managers"))
    make_lead(full_name="Announced Ann")
    leads = [held(name) for name in ("Office Olive", "Office Omar", "Office Oona")]
    mail.outbox.clear()
    return live_server.url, leads, give_authenticator(user)


def test_lead_manager_clears_held_leads_and_they_are_announced(page, desk):
    url, (olive, omar, oona), authenticator = desk
    sign_in(page, url, "manager", authenticator)

    page.get_by_role("link", name="Leads to review").click()
    expect(page.get_by_role("heading", name="3 leads held for review")).to_be_visible()
    table = page.locator("table.listing")
    expect(table).to_contain_text("Office Olive")
    expect(table).not_to_contain_text("Announced Ann")
    expect(table).to_contain_text("Many requests from one address")
    results = Axe().run(page, context="#leads-review")
    assert results.violations_count == 0, results.generate_report()

    # One box ticked from the keyboard, one with the mouse.
    page.get_by_label(f"Select lead #{olive.pk}").focus()
    page.keyboard.press("Space")
    page.get_by_label(f"Select lead #{oona.pk}").check()
    page.get_by_role("button", name="Genuine: notify the claims team").click()

    expect(page.get_by_text("2 leads cleared; the claims team is being notified.")).to_be_visible()
    expect(page.get_by_role("heading", name="1 lead held for review")).to_be_visible()
    expect(table).to_contain_text("Office Omar")
    expect(table).not_to_contain_text("Office Olive")
    states = dict(Lead.objects.values_list("full_name", "notification_status"))
    assert states["Office Olive"] == states["Office Oona"] == NotificationStatus.SENT
    assert states["Office Omar"] == NotificationStatus.HELD
    assert sorted(message.subject for message in mail.outbox) == sorted(
        f"New call-back request #{lead.pk}" for lead in (olive, oona)
    )
