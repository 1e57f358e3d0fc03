"""A reader whose browser rejects every cookie is still counted, once per view, and counting
adds no cookie, no script and no request of its own to the page (Debian's Chromium)."""

from urllib.parse import urlsplit

import pytest

from breaches.models import BreachCaseStudyPage
from tests.leads.conversion import DESKTOP, empty_tally, folded_views

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_rejecting_cookies_is_counted_once_per_view(
    browser, live_server, demo_site, settings
):
    settings.LEADS_COUNT_REDIS_URL = ""
    settings.PAGE_CACHE_ENABLED = True
    empty_tally()
    case_study = BreachCaseStudyPage.objects.live().first()
    url = live_server.url + case_study.url
    # Headless Chromium says "HeadlessChrome", which the crawler list rightly leaves out.
    context = browser.new_context(user_agent=DESKTOP)
    offered = []

    def reject_cookies(route):
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        if len(headers) != len(response.headers):
            offered.append(route.request.url)
        route.fulfill(response=response, headers=headers)

    context.route("**/*", reject_cookies)
    page = context.new_page()
    requested, violations = [], []
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def visit():
        requested.clear()
        response = page.goto(url)
        assert response.status == 200
        page.wait_for_load_state("networkidle")
        sources = page.locator("script[src]").evaluate_all("els => els.map(e => e.src)")
        return set(requested), sources

    try:
        settings.LEADS_COUNT_VIEWS = False
        without_counting = visit()
        settings.LEADS_COUNT_VIEWS = True
        with_counting = [visit() for _ in range(3)]
    finally:
        context.close()

    assert folded_views(page=case_study) == 3
    assert offered == [], "a response tried to set a cookie"
    # Counting adds no request (no beacon) and no script to the page.
    for visited in with_counting:
        assert visited == without_counting
    assert violations == []
