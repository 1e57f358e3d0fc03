"""A lead manager sets up the second factor on first sign-in, signs out, signs in again with a
code (a wrong one first) and reaches the leads desk; the browser reports no CSP violation."""

import re
from base64 import b32decode

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.e2e.test_admin_csp import Watch
from tests.leads.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"
LEADS = "/admin/leads/lead/"


@pytest.fixture
def desk(migrated_db, live_server, django_user_model):  # noqa: F811 - the imported fixture
    user = django_user_model.objects.create_user("lena", password=PASSWORD, first_name="Lena")
    user.groups.add(Group.objects.get(name="Lead managers"))
    make_lead(full_name="Morwenna Tregarthen", status="new")
    return live_server.url


def authenticator_code(key_shown, steps_ahead=0):
    """What an authenticator app shows for the key typed in from the page."""
    key = b32decode(key_shown.replace(" ", ""))
    return f"{totp(key, drift=steps_ahead):06d}"


def password_step(page, desk):
    page.goto(desk + LEADS)
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_set_up_sign_out_sign_in_with_code_then_leads(
    page,
    desk,
    artifacts_dir,
):
    watch = Watch(page)  # CSP violations and page errors, as in tests/e2e/test_admin_csp.py
    password_step(page, desk)
    page.wait_for_url(re.compile(r"/admin/second-factor/set-up/\?next=/admin/leads/lead/"))
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    watch.seen("set-up page")
    qr = page.locator("[data-second-factor-qr] svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] > 100  # big enough to scan
    key = page.locator("[data-second-factor-key]").inner_text()
    page.screenshot(path=str(artifacts_dir / "second-factor-set-up.png"), full_page=True)

    page.get_by_label("Code from your authenticator app").fill(authenticator_code(key))
    page.get_by_role("button", name="Turn on the second factor").click()
    page.wait_for_url(desk + LEADS)
    expect(page.get_by_role("row").filter(has_text="Morwenna Tregarthen")).to_be_visible()

    page.locator(".sidebar-footer__account-toggle").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/admin/login/"))
    password_step(page, desk)
    page.wait_for_url(re.compile(r"/admin/second-factor/\?next=/admin/leads/lead/"))
    code_box = page.get_by_label("Code from your authenticator app")
    code_box.fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".messages")).to_contain_text("That code is not right")
    assert LEADS not in page.url.split("?")[0]
    page.screenshot(path=str(artifacts_dir / "second-factor-wrong-code.png"), full_page=True)

    # After a wrong code django-otp checks nothing for a second; the app's next code then.
    page.wait_for_timeout(1_100)
    code_box.fill(authenticator_code(key, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(desk + LEADS)
    expect(page.get_by_role("row").filter(has_text="Morwenna Tregarthen")).to_be_visible()
    watch.seen("leads after the code")
    assert watch.problems() == ""
