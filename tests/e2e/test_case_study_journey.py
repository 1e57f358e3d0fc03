"""A reader finds a case study through the index filters, reads it, and reaches the call back."""

from urllib.parse import urlsplit

import pytest

# Live-server tests commit; when each ends, the rows Wagtail's migrations made (the root page,
# groups) are written back in place of everything, for whichever test runs next.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def site(demo_site):
    return demo_site


def test_reader_filters_reads_and_reaches_the_call_back(page, live_server, site, artifacts_dir):
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(urlsplit(request.url).netloc))
    failures = []
    page.on(
        "response",
        lambda response: (
            failures.append(response.url)
            if response.status >= 400 and "/media/" not in response.url
            else None
        ),
    )

    page.goto(f"{live_server.url}/case-studies/")
    assert page.locator("h1").inner_text() == "Data breach case studies"

    page.get_by_label("Sector", exact=True).select_option(label="Police and justice")
    page.get_by_label("Breach type", exact=True).select_option(label="Lost or stolen devices")
    page.get_by_role("button", name="Show case studies").click()
    page.wait_for_load_state()
    assert "sector=police" in page.url and "type=lost-devices" in page.url
    cards = page.locator(".case-card__title a")
    assert cards.all_inner_texts() == ["West Midlands Police data breaches over the years"]
    assert page.get_by_label("Sector", exact=True).input_value() == "police"

    cards.first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/case-studies/west-midlands-police-data-breaches/")
    facts = page.locator("section.facts")
    assert "West Midlands Police" in facts.inner_text()
    assert "24" in facts.inner_text()
    # The test server does not serve media files, so check the markup the browser sees: a
    # sized, eagerly loaded hero and lazily loaded related images.
    hero = page.locator(".case-study__hero img")
    assert hero.get_attribute("width") and hero.get_attribute("height")
    assert hero.get_attribute("loading") is None
    assert page.locator(".related img").first.get_attribute("loading") == "lazy"
    page.screenshot(path=str(artifacts_dir / "case-study-wmp.png"), full_page=True)

    page.get_by_role("link", name="Start your claim").click()
    assert page.url.endswith("#callback")
    assert page.locator("#callback-heading").is_visible()

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Data breach case studies"
    ).click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/case-studies")

    assert requested_hosts == {urlsplit(live_server.url).netloc}
    assert failures == []


def test_case_study_is_usable_on_a_phone(browser, live_server, site, artifacts_dir):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    phone = context.new_page()
    phone.goto(f"{live_server.url}/case-studies/west-midlands-police-data-breaches/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a phone"
    phone.screenshot(path=str(artifacts_dir / "case-study-phone.png"), full_page=True)
    context.close()
