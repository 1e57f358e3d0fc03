"""A reader whose browser rejects every cookie is still counted, once per view, and counting
adds no cookie, no script and no request of its own to the page (Debian's Chromium)."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from breaches.models import BreachCaseStudyPage
from leads.conversion.classify import View
from leads.conversion.store import row_key
from leads.models import PageViewDay
from tests.e2e.test_accessibility import nu_errors
from tests.leads.conversion import DESKTOP, empty_tally, folded_views
from tests.leads.factories import make_lead

PASSWORD = "correct horse battery staple 19"

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


def test_the_report_is_accessible_and_valid(page, live_server, demo_site, django_user_model):
    """An editor's view of the report: axe-core finds nothing in the figures, the comparison
    and the chart, and the Nu checker finds no error in their markup."""
    case_study = BreachCaseStudyPage.objects.live().first()
    today = timezone.localdate()
    for days_ago, views in ((0, 40), (2, 25), (35, 30)):
        day = today - datetime.timedelta(days=days_ago)
        view = View("localhost", case_study.url, "", "", "", "", "desktop")
        PageViewDay.objects.create(
            day=day,
            key=row_key(day, view),
            path=case_study.url,
            page=case_study,
            device="desktop",
            views=views,
        )
    make_lead(source_page=case_study)
    editor = django_user_model.objects.create_user("reporter", password=PASSWORD)
    editor.groups.add(Group.objects.get(name="Editors"))
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("reporter")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/reports/conversion/")
    expect(page.get_by_role("img", name=re.compile("Views \\(line\\)"))).to_be_visible()
    expect(page.get_by_role("link", name=case_study.title)).to_be_visible()
    assert axe_violations_in(page, "#listing-results") == []
    section = page.locator("section[aria-labelledby=conversion-summary]").evaluate(
        "el => el.outerHTML"
    )
    document = (
        '<!DOCTYPE html><html lang="en"><head><title>Conversion</title></head>'
        f"<body><main>{section}</main></body></html>"
    )
    assert nu_errors(document) == []


def axe_violations_in(page, selector):
    results = Axe().run(page, context=selector)
    return [
        f"{violation['id']}: {violation['help']}" for violation in results.response["violations"]
    ]
