"""A lead manager qualifies a lead in the desk; a signed request reaches a real local HTTP
receiver that checks it with the Standard Webhooks library, and the lead's page shows the
delivery. The replay button, reached from the keyboard, sends the same webhook-id again."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from leads.models import Handoff
from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.leads.factories import make_lead
from tests.leads.test_handoff import SECRET
from tests.leads.webhook_receiver import Receiver
from tests.second_factor import enter_code, give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    started = Receiver(SECRET, (200,)).start()
    settings.LEADS_WEBHOOK_URL = started.url
    settings.LEADS_WEBHOOK_SECRET = SECRET
    yield started
    started.stop()


def test_qualifying_in_the_desk_hands_the_lead_off(
    page,
    live_server,
    migrated_db,  # noqa: F811 - the imported fixture
    django_user_model,
    receiver,
):
    user = django_user_model.objects.create_user("manager", password="a-long-test-password")
    user.groups.add(Group.objects.get(name="Lead managers"))
    give_authenticator(user)
    lead = make_lead(full_name="Qualified Quentin", status="contacted", utm_source="google")

    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, give_authenticator(get_user_model().objects.get(username="manager")))

    page.goto(f"{live_server.url}/admin/leads/lead/inspect/{lead.pk}/")
    expect(page.get_by_text("Not handed off.")).to_be_visible()
    page.get_by_label("Move to").select_option("qualified")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Status changed.")).to_be_visible()

    sent = Handoff.objects.get(lead=lead)
    assert receiver.ids() == [sent.webhook_id]
    assert receiver.requests[0]["verified"]
    body = receiver.accepted[sent.webhook_id]["data"]["lead"]
    assert body["answers"]["full_name"] == "Qualified Quentin"
    assert body["utm"]["source"] == "google"
    log = page.get_by_role("table", name=f"Delivery log of {sent.webhook_id}")
    expect(log).to_contain_text("Delivered")
    expect(log).to_contain_text("200")

    replay = page.get_by_role("button", name="Send again to Claims system")
    replay.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Sending hand-off {sent.webhook_id} again.")).to_be_visible()
    assert receiver.ids() == [sent.webhook_id, sent.webhook_id]
    assert len(receiver.accepted) == 1
