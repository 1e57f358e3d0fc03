"""A lead manager works the call queue in the browser: opens it from the dashboard, records "no
answer" (the lead stays, due again later), then "spoke — qualified" (the lead leaves the queue)
and is handed off: a signed request reaches a real local receiver that checks the signature and
answers 500 twice, then 200, and exactly one delivery succeeds. The queue's markup passes
axe-core and the Nu HTML Checker, and its buttons work from the keyboard.

`sign_in_and_open_queue` and `record_call` are the steps; journeys that go on from a
qualified lead (the hand-off to the claims system) can reuse them.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from leads.models import CallAttempt, Handoff, HandoffDelivery, Lead
from tests.e2e import nu_checker
from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.leads.factories import make_lead
from tests.leads.test_handoff import SECRET
from tests.leads.webhook_receiver import Receiver
from tests.second_factor import enter_code, give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


@pytest.fixture
def queue_desk(migrated_db, live_server, django_user_model):  # noqa: F811 - the imported fixture
    """A lead manager with an authenticator, and two leads waiting for a call."""
    user = django_user_model.objects.create_user("manager", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Lead managers"))
    give_authenticator(user)
    first = make_lead(full_name="Queued Quinn", callback_time="any")
    second = make_lead(full_name="Waiting Wanda", callback_time="any")
    return live_server.url, first, second


@pytest.fixture
def flaky_claims_system(settings):
    """The claims system's receiver, failing twice before it takes the lead."""
    started = Receiver(SECRET, (500, 500, 200)).start()
    settings.LEADS_WEBHOOK_URL = started.url
    settings.LEADS_WEBHOOK_SECRET = SECRET
    yield started
    started.stop()


def sign_in_and_open_queue(page, base_url, username="manager"):
    page.goto(base_url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, give_authenticator(get_user_model().objects.get(username=username)))
    page.get_by_role("link", name="Open the call queue").click()
    expect(page.get_by_role("heading", name="Call queue", level=1)).to_be_visible()


def queue_row(page, lead):
    return page.locator(f"#queue-lead-{lead.pk}")


def record_call(page, lead, outcome, note=""):
    """Records one call from the lead's row, pressing its outcome button with the keyboard."""
    row = queue_row(page, lead)
    if note:
        row.get_by_label("Note (optional)").fill(note)
    button = row.get_by_role("button", name=outcome, exact=True)
    button.focus()
    expect(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_no_answer_then_spoke_qualified(page, queue_desk, flaky_claims_system, artifacts_dir):
    base_url, quinn, wanda = queue_desk
    sign_in_and_open_queue(page, base_url)
    expect(queue_row(page, quinn)).to_contain_text("Queued Quinn")
    expect(queue_row(page, wanda)).to_contain_text("Waiting Wanda")

    record_call(page, quinn, "No answer", note="Rang at lunch")
    expect(page.get_by_text(f"Lead #{quinn.pk}: no answer. Due again")).to_be_visible()
    expect(queue_row(page, quinn)).to_be_visible()
    assert Lead.objects.get(pk=quinn.pk).status == "new"
    page.screenshot(path=str(artifacts_dir / "call-queue.png"), full_page=True)

    record_call(page, quinn, "Spoke — qualified")
    expect(page.get_by_text(f"Lead #{quinn.pk}: spoke — qualified.")).to_be_visible()
    expect(queue_row(page, quinn)).to_have_count(0)
    expect(queue_row(page, wanda)).to_be_visible()
    assert Lead.objects.get(pk=quinn.pk).status == "qualified"
    assert list(CallAttempt.objects.filter(lead=quinn).values_list("outcome", "note")) == [
        ("no_answer", "Rang at lunch"),
        ("qualified", ""),
    ]

    # The hand-off: three signed requests with one webhook-id, one of them taken.
    sent = Handoff.objects.get(lead=quinn)
    assert flaky_claims_system.ids() == [sent.webhook_id] * 3
    assert all(request["verified"] for request in flaky_claims_system.requests)
    assert list(flaky_claims_system.accepted) == [sent.webhook_id]
    taken = flaky_claims_system.accepted[sent.webhook_id]["data"]["lead"]
    assert taken["answers"]["full_name"] == "Queued Quinn"
    assert [a["outcome"] for a in taken["attempts"]] == ["no_answer", "qualified"]
    outcomes = HandoffDelivery.objects.filter(handoff=sent).order_by("pk")
    assert [d.status_code for d in outcomes] == [500, 500, 200]

    # The lead's own page tells the story.
    page.goto(f"{base_url}/admin/leads/lead/inspect/{quinn.pk}/")
    expect(page.locator(".leads-inspect")).to_contain_text("Rang at lunch")
    expect(page.locator(".leads-inspect")).to_contain_text("contacted → qualified")


def test_queue_markup_is_accessible_and_valid(page, queue_desk):
    base_url, quinn, _ = queue_desk
    sign_in_and_open_queue(page, base_url)
    results = Axe().run(page, context=".leads-queue")
    assert results.violations_count == 0, results.generate_report()

    # An error beside its field, then checked again.
    row = queue_row(page, quinn)
    with page.expect_navigation():
        row.get_by_role("button", name="Call back later").click()
    field = queue_row(page, quinn).get_by_label("Call back at (Europe/London)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#id_lead-{quinn.pk}-callback_at-error")).to_have_text(
        "Choose when to call back"
    )
    results = Axe().run(page, context=".leads-queue")
    assert results.violations_count == 0, results.generate_report()

    fragment = page.locator(".leads-queue").evaluate("element => element.outerHTML")
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Call queue</title>'
        f"</head><body><main>{fragment}</main></body></html>"
    )
    messages = [
        message
        for message in nu_checker.check(document)["messages"]
        if message.get("type") == "error"
    ]
    assert messages == []
