"""Cookie consent in Debian's Chromium: what a visitor sees and what the browser stores."""

import pytest
from cookie_consent.models import Cookie, CookieGroup
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    # Each test ends by writing back what the migrations created (root page, cookie groups),
    # so every journey starts from a freshly migrated site.
    pytest.mark.django_db(transaction=True),
]

NECESSARY = {"cookie_consent", "csrftoken", "sessionid"}
ANALYTICS_SCRIPT = 'script[data-consent-group="analytics"]'


@pytest.fixture
def site(transactional_db, demo_site):
    return demo_site


def _cookie_names(page):
    return {cookie["name"] for cookie in page.context.cookies()}


def _open(page, live_server, path="/"):
    page.goto(live_server.url + path)
    # The script marks the page once it has applied this visitor's status.
    expect(page.locator("html")).to_have_attribute("data-consent-ready", "true")


def _banner(page):
    return page.get_by_role("region", name="Cookies on this site")


def test_first_visit_asks_and_sets_nothing_optional(page, live_server, site, artifacts_dir):
    _open(page, live_server)
    banner = _banner(page)
    expect(banner).to_be_visible()
    expect(banner.get_by_role("button", name="Accept all")).to_be_visible()
    expect(banner.get_by_role("button", name="Reject all")).to_be_visible()
    expect(banner.get_by_role("link", name="Manage preferences")).to_have_attribute(
        "href", "/cookies/?next=/"
    )
    page.screenshot(path=str(artifacts_dir / "cookie-banner.png"))
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(0)
    expect(page.locator(".demo-analytics-notice")).to_have_count(0)
    assert _cookie_names(page) <= NECESSARY
    assert "_demo_analytics" not in _cookie_names(page)
    # The two choices look the same: same size, same colours.
    accept = banner.get_by_role("button", name="Accept all")
    reject = banner.get_by_role("button", name="Reject all")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color, e.offsetHeight]"
    assert accept.evaluate(style) == reject.evaluate(style)


def test_reject_all_keeps_everything_off_across_pages(page, live_server, site):
    _open(page, live_server)
    _banner(page).get_by_role("button", name="Reject all").click()
    expect(_banner(page)).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("Your cookie choices are saved")
    assert "cookie_consent" in _cookie_names(page)
    assert _cookie_names(page) <= NECESSARY

    _open(page, live_server, "/about/")
    expect(_banner(page)).to_be_hidden()
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(0)
    assert "_demo_analytics" not in _cookie_names(page)


def test_accept_all_runs_the_script_and_withdrawal_removes_it(page, live_server, site):
    _open(page, live_server)
    _banner(page).get_by_role("button", name="Accept all").click()
    expect(_banner(page)).to_be_hidden()
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(1)
    expect(page.locator(".demo-analytics-notice")).to_contain_text("1 page counted")
    assert "_demo_analytics" in _cookie_names(page)

    # The choice is kept on the next page, and the script runs there too.
    _open(page, live_server, "/about/")
    expect(_banner(page)).to_be_hidden()
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(1)
    expect(page.locator(".demo-analytics-notice")).to_contain_text("2 pages counted")

    # Withdraw from the footer link, on this page.
    page.get_by_role("link", name="Cookie settings").click()
    expect(_banner(page)).to_be_visible()
    expect(page.locator("#cookie-banner-title")).to_be_focused()
    _banner(page).get_by_role("button", name="Reject all").click()
    expect(_banner(page)).to_be_hidden()
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(0)
    expect(page.locator(".demo-analytics-notice")).to_have_count(0)
    assert "_demo_analytics" not in _cookie_names(page)

    _open(page, live_server, "/")
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(0)
    assert "_demo_analytics" not in _cookie_names(page)


def test_keyboard_only(page, live_server, site):
    _open(page, live_server)
    # The banner comes first: the first Tab lands on its first button.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept all")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Reject all")).to_be_focused()
    page.keyboard.press("Enter")
    expect(_banner(page)).to_be_hidden()
    confirmation = page.locator("#cookie-confirmation")
    expect(confirmation).to_be_focused()
    # The next Tab carries on to the skip link rather than being lost.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert _cookie_names(page) <= NECESSARY

    # Reopen from the footer with the keyboard and accept with the space bar.
    page.get_by_role("link", name="Cookie settings").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cookie-banner-title")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept all")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(1)


def test_changed_cookie_list_asks_again(page, live_server, site):
    _open(page, live_server)
    _banner(page).get_by_role("button", name="Accept all").click()
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(1)

    group = CookieGroup.objects.get(varname="analytics")
    Cookie.objects.create(cookiegroup=group, name="_demo_visit", description="A visit id.")

    _open(page, live_server, "/about/")
    expect(_banner(page)).to_be_visible()
    # Until the visitor answers again, the changed group's script does not run.
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(0)


def test_settings_page_works_without_javascript(browser, live_server, site):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        context.add_cookies(
            [{"name": "_demo_analytics", "value": "4", "url": live_server.url + "/"}]
        )
        page.goto(live_server.url + "/cookies/")
        expect(page.get_by_role("heading", name="Cookie settings", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Necessary cookies")).to_be_visible()
        analytics_yes = page.get_by_label("Yes, allow analytics cookies")
        analytics_no = page.get_by_label("No, do not allow analytics cookies")
        expect(analytics_yes).not_to_be_checked()
        expect(analytics_no).not_to_be_checked()

        # Saving without choosing anything says so, and keeps the visitor on the page.
        page.get_by_role("button", name="Save cookie settings").click()
        expect(page.get_by_role("alert")).to_contain_text("not saved")
        assert "cookie_consent" not in {cookie["name"] for cookie in context.cookies()}

        page.get_by_label("Yes, allow analytics cookies").check()
        page.get_by_label("No, do not allow marketing cookies").check()
        page.get_by_role("button", name="Save cookie settings").click()
        expect(page.get_by_text("Your cookie settings are saved.")).to_be_visible()
        expect(page.get_by_label("Yes, allow analytics cookies")).to_be_checked()
        expect(page.get_by_label("No, do not allow marketing cookies")).to_be_checked()
        names = {cookie["name"] for cookie in context.cookies()}
        assert "cookie_consent" in names and "_demo_analytics" in names

        # Withdraw with "Reject all": the analytics cookie is deleted by the server.
        page.get_by_role("button", name="Reject all").click()
        expect(page.get_by_label("No, do not allow analytics cookies")).to_be_checked()
        assert "_demo_analytics" not in {cookie["name"] for cookie in context.cookies()}
    finally:
        context.close()


def test_a_cached_page_shows_each_visitor_their_own_state(browser, live_server, site):
    """Serve visitor A's exact HTML to visitor B, as a shared page cache would, and back."""
    first = browser.new_context()
    second = browser.new_context()
    try:
        a, b = first.new_page(), second.new_page()
        _open(a, live_server)
        _banner(a).get_by_role("button", name="Accept all").click()
        expect(a.locator(ANALYTICS_SCRIPT)).to_have_count(1)
        cached_for_a = a.goto(live_server.url + "/about/").body()

        b.route(
            "**/about/",
            lambda route: route.fulfill(
                status=200, body=cached_for_a, content_type="text/html; charset=utf-8"
            ),
        )
        _open(b, live_server, "/about/")
        expect(_banner(b)).to_be_visible()
        expect(b.locator(ANALYTICS_SCRIPT)).to_have_count(0)
        _banner(b).get_by_role("button", name="Reject all").click()
        b.unroute("**/about/")
        cached_for_b = b.goto(live_server.url + "/about/").body()

        a.route(
            "**/about/",
            lambda route: route.fulfill(
                status=200, body=cached_for_b, content_type="text/html; charset=utf-8"
            ),
        )
        _open(a, live_server, "/about/")
        expect(_banner(a)).to_be_hidden()
        expect(a.locator(ANALYTICS_SCRIPT)).to_have_count(1)
        assert "_demo_analytics" not in {c["name"] for c in second.cookies()}
    finally:
        first.close()
        second.close()


WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_banner_and_settings_page_have_no_axe_violations(page, live_server, site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    _open(page, live_server)
    expect(_banner(page)).to_be_visible()
    results = axe.run(page, context="#cookie-banner", options=WCAG)
    assert results.violations_count == 0, results.generate_report()

    _open(page, live_server, "/cookies/")
    results = axe.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_manage_preferences_saves_and_returns_to_the_page(page, live_server, site):
    _open(page, live_server, "/about/")
    _banner(page).get_by_role("link", name="Manage preferences").click()
    expect(page).to_have_url(live_server.url + "/cookies/?next=/about/")
    # The settings page asks the question itself; the banner does not repeat it there.
    expect(page.locator("html")).to_have_attribute("data-consent-ready", "true")
    expect(_banner(page)).to_be_hidden()
    page.get_by_label("Yes, allow analytics cookies").check()
    page.get_by_label("No, do not allow marketing cookies").check()
    page.get_by_role("button", name="Save cookie settings").click()
    expect(page).to_have_url(live_server.url + "/about/")
    expect(page.locator("html")).to_have_attribute("data-consent-ready", "true")
    expect(_banner(page)).to_be_hidden()
    expect(page.locator(ANALYTICS_SCRIPT)).to_have_count(1)
