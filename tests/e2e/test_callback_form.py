"""A reader asks for a call back in a real browser, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def site(migrated_db, live_server, settings, demo_site):  # noqa: F811 - the imported fixture
    # A test browser types faster than a person; the too-fast signal has its own tests.
    settings.LEADS_MIN_FILL_SECONDS = 0
    return live_server.url


def fill_in(page, *, phone="01534 440123", email="zoe@example.com"):
    box = page.locator("#callback")
    box.get_by_label("Full name").fill("Zoë O'Brien-Łukasiewicz")
    box.get_by_label("Phone number").fill(phone)
    box.get_by_label("Email address").fill(email)
    box.get_by_label("Best time to call").select_option("morning")
    box.get_by_label("I have read the privacy notice").check()


def test_with_javascript_sent_in_place_and_focus_moves_to_the_result(page, site):
    page.goto(f"{site}/?utm_source=e2e&utm_campaign=spring")
    fill_in(page)
    page.locator("#callback").get_by_role("button", name="Request a call back").dblclick()

    result = page.locator("#callback-result")
    expect(result).to_contain_text("Request sent.")
    expect(result).to_be_focused()
    assert page.url == f"{site}/?utm_source=e2e&utm_campaign=spring"  # no reload
    lead = Lead.objects.get()  # the double click made one row
    assert lead.phone == "+441534440123"  # Jersey, stored in E.164
    assert (lead.utm_source, lead.utm_campaign) == ("e2e", "spring")
    assert lead.submission_key is not None


def test_with_javascript_errors_shown_beside_fields_then_fixed(page, site):
    page.goto(site + "/")
    fill_in(page, phone="12345")
    box = page.locator("#callback")
    box.get_by_role("button", name="Request a call back").click()

    summary = page.locator("#callback-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a valid phone number")
    phone = box.get_by_label("Phone number")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(
        "A UK mobile or landline, or an international number starting with + "
        "Error: Enter a valid phone number, like 07123 456 789 or +44 20 7946 0000"
    )
    expect(phone).to_have_value("12345")  # input kept
    assert Lead.objects.count() == 0

    summary.get_by_role("link").click()
    expect(phone).to_be_focused()
    phone.fill("0121 496 0982")
    box.get_by_role("button", name="Request a call back").click()
    expect(page.locator("#callback-result")).to_be_focused()
    assert Lead.objects.get().phone == "+441214960982"


def test_without_javascript_post_redirect_get(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/?utm_source=nojs&gclid=abc")
    box = page.locator("#callback")
    box.get_by_role("button", name="Request a call back").click()

    # Nothing filled in: the page comes back with a summary and errors beside each field.
    expect(page.locator("#callback-error-summary")).to_contain_text("Enter your full name")
    expect(box.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")

    fill_in(page, email="nojs@example.com")
    box.get_by_role("button", name="Request a call back").click()
    expect(page).to_have_url(f"{site}/?callback=sent#callback")
    expect(page.locator("#callback-result")).to_contain_text("Request sent.")
    page.reload()  # a refresh never resubmits
    lead = Lead.objects.get()
    assert lead.email == "nojs@example.com"
    assert lead.submission_key is not None  # one is made for requests sent without script
    context.close()


def test_without_javascript_input_kept_on_error(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/")
    fill_in(page, phone="999")
    page.locator("#callback").get_by_role("button", name="Request a call back").click()
    box = page.locator("#callback")
    expect(box.get_by_label("Full name")).to_have_value("Zoë O'Brien-Łukasiewicz")
    expect(box.get_by_label("Phone number")).to_have_value("999")
    expect(box.get_by_label("Best time to call")).to_have_value("morning")
    expect(box.get_by_label("I have read the privacy notice")).to_be_checked()
    expect(page.locator("#callback-phone_error")).to_be_visible()
    context.close()


def test_the_box_has_no_axe_violations_empty_with_errors_and_sent(page, site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.goto(site + "/")
    box = page.locator("#callback")
    results = axe.run(page, context="#callback")
    assert results.violations_count == 0, results.generate_report()

    box.get_by_role("button", name="Request a call back").click()
    expect(page.locator("#callback-error-summary")).to_be_focused()
    results = axe.run(page, context="#callback")
    assert results.violations_count == 0, results.generate_report()

    fill_in(page)
    box.get_by_role("button", name="Request a call back").click()
    expect(page.locator("#callback-result")).to_be_focused()
    results = axe.run(page, context="#callback")
    assert results.violations_count == 0, results.generate_report()


def tab_to(page, element_id, limit=80):
    """Presses Tab until the element has focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            # Where focus is, the reader can see it.
            outline = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; })()"
            )
            assert outline[0] != "none" or outline[2] != "none", f"no focus ring on {element_id}"
            return
    pytest.fail(f"#{element_id} cannot be reached with Tab")


def test_keyboard_only(page, site, artifacts_dir):
    """Tab, typing, Space and Enter only: no mouse, no script-set values."""
    page.goto(site + "/")
    # First an empty send, with Enter on the button: the errors take focus.
    tab_to(page, "callback-full_name")
    page.keyboard.type("Zoë O'Brien")
    tab_to(page, "callback-phone")
    page.keyboard.type("12345")
    page.keyboard.press("Enter")  # Enter in a text field sends the form
    summary = page.locator("#callback-error-summary")
    expect(summary).to_be_focused()
    # From the summary, Tab reaches the first error link; Enter takes focus to the field.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text(re.compile("Enter a valid phone number"))
    page.keyboard.press("Enter")
    phone = page.locator("#callback-phone")
    expect(phone).to_be_focused()
    for _ in range(5):
        page.keyboard.press("Backspace")
    page.keyboard.type("01534 440123")
    tab_to(page, "callback-email")
    page.keyboard.type("keys@example.com")
    tab_to(page, "callback-callback_time")
    page.keyboard.type("Evening")  # a closed select picks the option typed
    tab_to(page, "callback-privacy_ack")
    page.keyboard.press("Space")
    expect(page.locator("#callback-privacy_ack")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Request a call back")
    page.keyboard.press("Enter")

    result = page.locator("#callback-result")
    expect(result).to_be_focused()
    expect(result).to_contain_text("Request sent.")
    page.screenshot(path=str(artifacts_dir / "callback-keyboard-only.png"), full_page=True)
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone, lead.email) == (
        "Zoë O'Brien",
        "+441534440123",
        "keys@example.com",
    )
    assert lead.callback_time == "evening"
