"""Every public page passes axe-core (in Debian's Chromium) and the Nu HTML Checker, and
the browser reports no Content-Security-Policy violation on it.

To check another page, add a `Target` to TARGETS: a path, the status it answers with, and
optionally `prepare`, a function given the Playwright page after it has loaded, to put it
in the state to check (fill and submit a form...), and `javascript=False` to load it in a
browser with scripts off. The HTML that the Nu checker reads is the last document the
browser received, so a form posted without JavaScript is checked as the server rendered its
error page.

With scripts on, axe-core checks every page twice: with the cookie banner showing (as a
first visit sees it; on the cookie settings page, which never raises it by itself, opened
from the footer's "Cookie settings" link), then after "Reject all" has dismissed it and the
confirmation is announced. Without scripts the banner never shows.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e import nu_checker


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    status: int = 200
    prepare: Callable | None = None
    javascript: bool = True
    # Why this page is known to fail today; the test then must fail (strict xfail), so the
    # day it passes the run says so and the note is removed.
    known_failure: str = ""

    def __str__(self):
        return self.name

    def param(self):
        marks = [pytest.mark.xfail(reason=self.known_failure, strict=True)]
        return pytest.param(self, id=self.name, marks=marks if self.known_failure else [])


CASE_STUDY = "/case-studies/west-midlands-police-data-breaches/"


def submit_empty_with_script(page):
    """The reader sends the box untouched; the script shows the errors in place."""
    box = page.locator("#callback")
    box.get_by_role("button", name="Request a call back").click()
    expect(page.locator("#callback-error-summary")).to_be_focused()
    expect(box.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")


def submit_empty_as_plain_form(page):
    """The form posted by the browser itself, as when the script has not loaded: the server
    answers the POST to /leads/callback/ with the page and its errors (status 400)."""
    with page.expect_navigation() as navigation:
        # HTMLFormElement.submit() skips the script's submit handler, as no script would.
        page.locator("form[data-callback-form]").evaluate("form => form.submit()")
    assert navigation.value.status == 400
    assert navigation.value.request.method == "POST"
    assert navigation.value.url.endswith("/leads/callback/")
    expect(page.locator("#callback-error-summary")).to_contain_text("Enter your full name")


def submit_empty_without_script(page):
    with page.expect_navigation() as navigation:
        page.locator("#callback").get_by_role("button", name="Request a call back").click()
    assert navigation.value.status == 400
    expect(page.locator("#callback-error-summary")).to_contain_text("Enter your full name")


TARGETS = [
    Target("home", "/"),
    Target("case-study-index", "/case-studies/"),
    Target(
        "case-study-index-filtered",
        "/case-studies/?type=lost-devices&sector=police&year=2016",
    ),
    Target("case-study-index-no-matches", "/case-studies/?type=lost-devices&sector=retail"),
    Target("case-study", CASE_STUDY),
    Target("callback-errors-js", CASE_STUDY, prepare=submit_empty_with_script),
    Target("callback-errors-post", CASE_STUDY, prepare=submit_empty_as_plain_form),
    # axe-core runs inside the page, so with scripts off only the Nu checker reads this one;
    # axe checks the same server-rendered error page in "callback-errors-post".
    Target("callback-errors-no-js", "/", prepare=submit_empty_without_script, javascript=False),
    Target("about", "/about/"),
    Target("privacy-policy", "/privacy-policy/"),
    Target("cookie-policy", "/cookie-policy/"),
    Target("cookies", "/cookies/"),
    Target("search-results", "/search/?q=data"),
    Target("search-empty", "/search/"),
    Target("not-found", "/no-such-page/", status=404),
]


def nu_errors(html: str) -> list[str]:
    """Errors the Nu HTML Checker finds in `html`, one readable line each. Runs offline."""
    report = nu_checker.check(html)
    lines = html.splitlines()
    errors = []
    for message in report["messages"]:
        if message["type"] not in {"error", "non-document-error"}:
            continue
        line = message.get("lastLine") or message.get("firstLine")
        source = lines[line - 1].strip()[:160] if line and line <= len(lines) else ""
        errors.append(f"line {line}: {message['message']}\n      {source}")
    return errors


def axe_violations(page) -> list[str]:
    """axe-core's violations on the current page, one readable block each."""
    results = Axe().run(page)
    report = []
    for violation in results.response["violations"]:
        report.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            snippet = " ".join(node["html"].split())[:160]
            report.append(f"      at {' '.join(node['target'])}: {snippet}")
    return report


@pytest.fixture
def visit(browser, live_server, demo_site, settings):
    """Loads a target; returns the Playwright page and the HTML of the last document sent."""
    # A test browser fills forms faster than a person; the too-fast signal has its own tests.
    settings.LEADS_MIN_FILL_SECONDS = 0
    contexts = []

    def go(target):
        context = browser.new_context(java_script_enabled=target.javascript)
        contexts.append(context)
        page = context.new_page()
        # The strict public policy is part of what is checked: anything it blocks is a defect.
        page.csp_violations = []
        page.on(
            "console",
            lambda msg: (
                page.csp_violations.append(msg.text)
                if "Content Security Policy" in msg.text
                else None
            ),
        )
        documents = []
        page.on(
            "response",
            lambda r: documents.append(r) if r.request.resource_type == "document" else None,
        )
        response = page.goto(f"{live_server.url}{target.path}")
        assert response.status == target.status, f"{target.path} answered {response.status}"
        if target.javascript:
            expect(page.locator("html")).to_have_attribute("data-consent-ready", "true")
        if target.prepare:
            target.prepare(page)
        if target.javascript:
            page.wait_for_load_state("networkidle")
        return page, documents[-1].text()

    yield go
    for context in contexts:
        context.close()


def banner_states(page):
    """Puts the page through the banner's states, naming each before it is checked."""
    banner = page.get_by_role("region", name="Cookies on this site")
    if not banner.is_visible():
        # The cookie settings page asks in its own form; a visitor can still raise the banner.
        page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    expect(banner).to_be_visible()
    yield "banner-showing"
    banner.get_by_role("button", name="Reject all").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#cookie-confirmation")).to_contain_text("Your cookie choices are saved")
    yield "banner-dismissed"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", [target.param() for target in TARGETS])
def test_page_is_accessible_and_valid(visit, target, artifacts_dir):
    page, html = visit(target)
    slug = re.sub(r"[^\w-]", "_", target.name)
    problems = []
    states = banner_states(page) if target.javascript else iter(["no-javascript"])
    for state in states:
        page.screenshot(path=artifacts_dir / f"a11y-{slug}-{state}.png", full_page=True)
        violations = axe_violations(page) if target.javascript else []
        if violations:
            problems += [f"axe-core violations, {state}:", *(f"  {v}" for v in violations)]
    if page.csp_violations:
        problems += ["Content-Security-Policy violations:", *page.csp_violations]
    # The banner changes the page in the browser only: the server sent one document.
    errors = nu_errors(html)
    if errors:
        problems += ["Nu HTML Checker errors:", *(f"  {line}" for line in errors)]
    assert not problems, f"{target.path}\n" + "\n".join(problems)


def test_nu_checker_reports_errors():
    """The checker runs and is read correctly: broken HTML is reported, not passed."""
    errors = nu_errors("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>")
    assert any("Stray end tag" in error for error in errors)
    valid = '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p>ok</p></body>'
    assert nu_errors(valid) == []
