"""A reader on a phone (issue 20), in Debian's Chromium: nothing on the page moves when the
cookie banner appears or goes, every image is sized, no reader page logs a console error, and
the call back is one tap away on a case study (the prompt near the top, the sticky bar).

Layout shifts are read from the browser's own `layout-shift` performance entries (what
Cumulative Layout Shift adds up), collected from the start of the page's load."""

import mimetypes
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
CASE_STUDY = "/case-studies/west-midlands-police-data-breaches/"
READER_PAGES = [
    "/",
    "/case-studies/",
    "/case-studies/?type=lost-devices&sector=police",
    CASE_STUDY,
    "/about/",
    "/privacy-policy/",
    "/cookie-policy/",
    "/cookies/",
    "/search/?q=data",
]
# Every layout shift since the page started loading, including those just after an input
# (which Cumulative Layout Shift leaves out; here they count too).
RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__shifts.push({
      value: entry.value,
      afterInput: entry.hadRecentInput,
      sources: entry.sources.map((s) => (s.node ? s.node.id || s.node.nodeName : "?")),
    });
  }
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture
def site(demo_site):
    return demo_site


def _serve_media(route):
    """Answers /media/ from the media storage (in memory in tests), as the server in front of
    the site does in production (the test server has no media view), so images load as a
    reader's would."""
    name = unquote(urlsplit(route.request.url).path).removeprefix(settings.MEDIA_URL)
    if default_storage.exists(name):
        with default_storage.open(name) as handle:
            body = handle.read()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=body, content_type=content_type)
    else:
        route.fulfill(status=404, body=b"")


@pytest.fixture
def phone(browser, live_server):
    """Opens pages in a new phone-sized browser; each page records its layout shifts."""
    contexts = []

    def open_page(path, listen=None, **options):
        context = browser.new_context(**{**PHONE, **options})
        contexts.append(context)
        context.route("**/media/**", _serve_media)
        page = context.new_page()
        page.add_init_script(RECORD_SHIFTS)
        if listen:
            listen(page)
        page.goto(live_server.url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _consent_ready(page):
    expect(page.locator("html")).to_have_attribute("data-consent-ready", "true")


def _shifts(page, since=0):
    # Two animation frames, so the browser has reported any shift of the last change.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page.evaluate("window.__shifts")[since:]


def _cls(shifts):
    """The shifts' total. Chromium marks some shifts as following an input even when the
    test gave none (a freshly opened page), which Cumulative Layout Shift would drop, so
    every shift counts here: nothing the reader did explains a shift."""
    return sum(shift["value"] for shift in shifts)


def _banner(page):
    return page.get_by_role("region", name="Cookies on this site")


def _bar(page):
    return page.get_by_role("region", name="Talk to us")


def _dismiss_banner(page):
    _banner(page).get_by_role("button", name="Reject all").click()
    expect(_banner(page)).to_be_hidden()
    expect(page.locator("#cookie-confirmation")).to_be_focused()
    # The reader taps the page to read on: the confirmation goes when focus leaves it.
    page.locator("h1").click()
    expect(page.locator("#cookie-confirmation")).to_be_empty()


def _scroll_through(page):
    """Scrolls to the end of the page and back to the top, a screen at a time."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in [*range(0, height, 400), *range(height, -1, -400)]:
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(30)


@pytest.mark.parametrize("path", ["/", "/case-studies/", CASE_STUDY])
def test_the_cookie_banner_moves_nothing_on_a_phone(phone, site, path):
    page = phone(path)
    _consent_ready(page)
    banner = _banner(page)
    expect(banner).to_be_visible()
    # It is still first in reading order: before the header and the main content.
    assert page.evaluate(
        "document.getElementById('cookie-banner').compareDocumentPosition("
        "document.querySelector('.skip-link')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    page.wait_for_load_state("load")
    first_visit = _shifts(page)
    print(f"{path} first visit with the banner: CLS {_cls(first_visit):.4f}, {first_visit}")
    assert _cls(first_visit) < 0.05, first_visit

    # Dismissing it, the confirmation appearing and going, and reading the page move nothing,
    # counting even the shifts that follow the tap.
    before = len(_shifts(page))
    _dismiss_banner(page)
    _scroll_through(page)
    after = _shifts(page, since=before)
    assert after == [], after

    # The next page: no banner, nothing moves from the start.
    page.goto(page.url)
    _consent_ready(page)
    page.wait_for_load_state("load")
    expect(banner).to_be_hidden()
    _scroll_through(page)
    assert _shifts(page) == []


def test_the_banner_leaves_focused_content_and_the_page_end_in_view(phone, site):
    page = phone("/")
    _consent_ready(page)
    banner_top = _banner(page).bounding_box()["y"]
    # Tabbing past the banner into the page: whatever has focus is not hidden under it.
    for _ in range(12):
        page.keyboard.press("Tab")
        box = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
        if page.evaluate(
            "!document.getElementById('cookie-banner').contains(document.activeElement)"
        ):
            assert box["bottom"] <= banner_top + 1, page.evaluate(
                "document.activeElement.outerHTML"
            )
    # The footer's last line can be scrolled above the banner.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    footer = page.get_by_role("contentinfo").bounding_box()
    assert footer["y"] + footer["height"] <= _banner(page).bounding_box()["y"] + 1


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_log_no_console_error_and_size_every_image(phone, site, path):
    errors = []

    def listen(page):
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response",
            lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    page = phone(path, listen=listen)
    _consent_ready(page)
    page.wait_for_load_state("networkidle")
    unsized = page.evaluate(
        "[...document.images].filter((img) => !img.getAttribute('width') "
        "|| !img.getAttribute('height')).map((img) => img.outerHTML)"
    )
    assert unsized == []
    broken = page.evaluate(
        "[...document.images].filter((img) => img.complete && !img.naturalWidth "
        "&& img.loading !== 'lazy').map((img) => img.currentSrc)"
    )
    assert broken == []
    assert errors == []


# The call back one tap away on a case study (templates/breaches/includes/callback_cta.html,
# callback_bar.html; breaches/static/breaches/js/callback-links.js).


def _scroll_to(page, selector, block="center"):
    page.locator(selector).first.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
    page.wait_for_timeout(100)


def _rect(page, selector):
    return page.locator(selector).first.evaluate("e => e.getBoundingClientRect().toJSON()")


def _bar_shown(page):
    return page.locator("[data-callback-bar]").evaluate(
        "e => getComputedStyle(e).visibility === 'visible' && e.getBoundingClientRect().height > 0"
    )


def _assert_bar_never_covers_the_form(page):
    """At every scroll position down the page, a shown bar and the call-back box do not
    overlap."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 150):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(20)
        if _bar_shown(page):
            bar, box = _rect(page, "[data-callback-bar]"), _rect(page, "#callback")
            assert bar["bottom"] <= box["top"] or bar["top"] >= box["bottom"], (y, bar, box)


def test_the_sticky_bar_shows_while_reading_and_hides_over_the_form(phone, site):
    page = phone(CASE_STUDY)
    _consent_ready(page)
    bar = _bar(page)
    # Never over the cookie banner: hidden while the banner asks.
    expect(_banner(page)).to_be_visible()
    _scroll_to(page, ".case-study__body")
    expect(bar).to_be_hidden()
    _dismiss_banner(page)

    # Reading the article: the bar sits at the foot of the window.
    _scroll_to(page, ".case-study__body")
    expect(bar).to_be_visible()
    assert abs(_rect(page, "[data-callback-bar]")["bottom"] - PHONE["viewport"]["height"]) < 2
    # The prompt near the top offers the same: the bar stays out of its way.
    _scroll_to(page, "[data-callback-cta]")
    expect(bar).to_be_hidden()
    _scroll_to(page, ".sources")
    expect(bar).to_be_visible()
    # The call-back box coming into view hides it.
    _scroll_to(page, "#callback", block="end")
    expect(bar).to_be_hidden()
    _assert_bar_never_covers_the_form(page)

    # Tapping "Request a call back" takes the reader to the form, cursor in its first field.
    _scroll_to(page, ".case-study__body")
    bar.get_by_role("link", name="Request a call back").click()
    expect(page.locator("#callback").get_by_label("Full name")).to_be_focused()
    assert page.url.endswith("#callback")
    # The glide ends with the box at the top of the window.
    for _ in range(50):
        if abs(_rect(page, "#callback")["top"]) < 2:
            break
        page.wait_for_timeout(100)
    assert abs(_rect(page, "#callback")["top"]) < 2
    expect(bar).to_be_hidden()


def test_the_bar_is_announced_and_reachable_by_keyboard(phone, site):
    page = phone(CASE_STUDY)
    _consent_ready(page)
    _dismiss_banner(page)
    bar = _bar(page)
    call = bar.get_by_role("link", name="Call free 0808 157 0192")
    request = bar.get_by_role("link", name="Request a call back")
    assert call.get_attribute("href") == "tel:+448081570192"
    assert request.get_attribute("href") == "#callback"

    # In reading order after the article's last link, before the form.
    _scroll_to(page, ".case-study__body")
    page.locator(".related a").last.focus()
    expect(bar).to_be_visible()
    page.keyboard.press("Tab")
    expect(call).to_be_focused()
    # The focus ring shows (the site's :focus-visible ring).
    assert call.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.press("Tab")
    expect(request).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#callback").get_by_label("Full name")).to_be_focused()


def test_the_bar_respects_reduced_motion(phone, site):
    page = phone(CASE_STUDY, reduced_motion="reduce")
    _consent_ready(page)
    _dismiss_banner(page)
    _scroll_to(page, ".case-study__body")
    bar = _bar(page)
    expect(bar).to_be_visible()
    assert bar.evaluate("e => getComputedStyle(e).transitionDuration") == "0s"
    bar.get_by_role("link", name="Request a call back").click()
    # A jump, not a glide: the form is there at once.
    assert abs(_rect(page, "#callback")["top"]) < 2
    expect(page.locator("#callback").get_by_label("Full name")).to_be_focused()


def test_without_javascript_the_links_still_lead_to_the_form(phone, site):
    page = phone(CASE_STUDY, java_script_enabled=False)
    # The bar is always there, and still never covers the form (it is sticky, not fixed).
    _scroll_to(page, ".case-study__body")
    expect(_bar(page)).to_be_visible()
    _assert_bar_never_covers_the_form(page)

    page.evaluate("window.scrollTo(0, 0)")
    page.locator("[data-callback-cta]").get_by_role("link", name="Request a call back").click()
    assert page.url.endswith("#callback")
    assert abs(_rect(page, "#callback")["top"]) < 2
    expect(page.locator("#callback-heading")).to_be_in_viewport()


def test_wide_screens_keep_the_box_beside_the_article_instead(browser, live_server, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server.url + CASE_STUDY)
        _consent_ready(page)
        expect(page.locator("[data-callback-cta]")).to_be_hidden()
        expect(page.locator("[data-callback-bar]")).to_be_hidden()
        expect(page.locator("#callback")).to_be_in_viewport()
    finally:
        context.close()
