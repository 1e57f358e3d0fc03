"""A lead manager logs in, filters the leads desk and downloads exactly those leads."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.leads.factories import make_lead
from tests.second_factor import enter_code, give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(migrated_db, live_server, django_user_model):  # noqa: F811 - the imported fixture
    user = django_user_model.objects.create_user("manager", password="a-long-test-password")
    user.groups.add(Group.objects.get(name="Lead managers"))
    give_authenticator(user)
    make_lead(full_name="Contacted Carol", status="contacted", utm_source="=HYPERLINK(1)")
    make_lead(full_name="New Nadia", status="new")
    make_lead(full_name="Closed Colin", status="closed")
    return live_server.url


def test_lead_manager_filters_and_downloads_csv(page, desk):
    page.goto(desk + "/admin/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    # Lead managers give the code from their authenticator next.
    enter_code(page, give_authenticator(get_user_model().objects.get(username="manager")))

    page.get_by_role("link", name="Open the leads desk").click()
    table = page.locator("table.listing")
    expect(table).to_contain_text("New Nadia")
    expect(table).to_contain_text("Contacted Carol")

    page.locator(".changelist-filter").get_by_role("link", name="Contacted", exact=True).click()
    expect(page).to_have_url(desk + "/admin/leads/lead/?status__exact=contacted")
    expect(table).to_contain_text("Contacted Carol")
    expect(table).not_to_contain_text("New Nadia")

    page.get_by_role("button", name="More actions").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    body = open(download_info.value.path(), "rb").read()  # noqa: SIM115 - a test artefact
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Contacted Carol"]
    assert rows[1][COLUMN_UTM_SOURCE] == "'=HYPERLINK(1)"


COLUMN_UTM_SOURCE = 13
