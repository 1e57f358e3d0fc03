"""The Wagtail admin keeps working under its Content-Security-Policy: an editor signs in,
opens the page editor and the snippet list, and the browser reports no violation."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect
from wagtail.models import Page

from tests.second_factor import enter_code, give_authenticator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct-horse-battery-staple"

# Records every violation the browser reports, including ones raised before our code runs.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(
        `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
        + ` at ${event.sourceFile}:${event.lineNumber}`
    );
});
"""


@pytest.fixture
def csp_watch(page):
    console = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(WATCH_VIOLATIONS)

    def violations():
        return console + page.evaluate("window.__cspViolations || []")

    return violations


def _sign_in(page, live_server, username):
    # A superuser, with an authenticator: its code comes after the password.
    authenticator = give_authenticator(get_user_model().objects.get(username=username))
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, authenticator)
    page.wait_for_url(f"{live_server.url}/admin/")


def test_editor_works_in_admin_without_csp_violations(
    page, live_server, demo_site, csp_watch, artifacts_dir
):
    get_user_model().objects.create_superuser("editor", "editor@example.test", PASSWORD)
    home = demo_site.root_page
    seen = {}

    _sign_in(page, live_server, "editor")
    seen["dashboard"] = csp_watch()

    page.goto(f"{live_server.url}/admin/pages/{home.pk}/edit/")
    page.get_by_role("tab", name="Promote").click()
    page.get_by_role("tab", name="Content").click()
    title = page.locator("#id_title")
    assert title.input_value() == home.title
    page.get_by_role("button", name="Toggle preview").click()
    page.wait_for_load_state("networkidle")
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.get_by_role("heading", level=1)).to_have_text(
        home.specific.hero_heading, timeout=15_000
    )
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts_dir / "admin-page-editor.png", full_page=True)
    seen["page editor"] = csp_watch()

    page.goto(f"{live_server.url}/admin/snippets/leads/callbackform/")
    assert page.get_by_role("heading", level=1).first.is_visible()
    page.wait_for_load_state("networkidle")
    seen["snippet list"] = csp_watch()

    page.goto(f"{live_server.url}/admin/images/multiple/add/")
    page.wait_for_load_state("networkidle")
    seen["image upload"] = csp_watch()

    page.goto(f"{live_server.url}/admin/pages/{Page.objects.get(depth=1).pk}/")
    page.wait_for_load_state("networkidle")
    seen["page explorer"] = csp_watch()

    # The public site's strict policy must hold for a signed-in editor too (Wagtail's
    # userbar is drawn on every page for them).
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="View Wagtail quick actions").click()
    expect(page.get_by_role("menuitem", name="Edit this page")).to_be_visible()
    page.wait_for_load_state("networkidle")
    seen["public page with userbar"] = csp_watch()

    problems = {where: found for where, found in seen.items() if found}
    assert not problems, "CSP violations in the admin:\n" + "\n".join(
        f"{where}: {line}" for where, found in problems.items() for line in found
    )
