"""With the database unreachable, readers get cached pages, and every other page answers a
plain, styled 503 with the firm's freephone number, quickly; the site comes back by itself.

The outages are real: Django's connection goes through a TCP proxy to PostgreSQL that the test
cuts (connections refused and dropped) or stalls (accepted and never answered).
"""

import json
import time
from html.parser import HTMLParser

import pytest
from django.db import close_old_connections, transaction
from django.test import Client

from home import offline, outage
from home.models import SiteSettings
from home.page_cache import snapshot
from tests.e2e import nu_checker

FREEPHONE = "0808 157 0123"
TEL = "tel:+448081570123"


@pytest.fixture
def offline_copy(settings, tmp_path):
    """The offline contact copy in this test's own file, and no memory of it to begin with."""
    settings.OFFLINE_COPY_PATH = tmp_path / "var" / "offline-contact.json"
    offline.forget()
    yield settings.OFFLINE_COPY_PATH
    offline.forget()


def stall(proxy):
    """proxy.stall(), after a cut: TcpProxy closes its listener while another thread waits in
    accept(), which keeps the port bound until a connection arrives; cut() waits for that."""
    proxy.cut()
    proxy.stall()


def serve(path):
    """GET as a WSGI server does, for a reader with no cookies. Django's test client leaves
    out the connection upkeep the real handler runs before and after every request
    (close_old_connections); it is what replaces a broken connection after an outage."""
    close_old_connections()
    started = time.monotonic()
    try:
        response = Client(raise_request_exception=False).get(path)
    finally:
        close_old_connections()
    response.seconds = time.monotonic() - started
    return response


class Outline(HTMLParser):
    """What an accessibility check looks at first: language, title, headings, links."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.title = ""
        self.h1 = 0
        self.links = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a":
            self.links.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def outline(html):
    parser = Outline()
    parser.feed(html)
    return parser


# --------------------------------------------------------------------------------------------
# The 503 page itself (any database)


@pytest.mark.django_db
class TestUnavailablePage:
    def test_shows_the_number_from_memory_without_touching_the_database(
        self, offline_copy, django_assert_num_queries
    ):
        offline.remember({"firm_name": "Acme Claims", "freephone": FREEPHONE, "freephone_tel": TEL})
        with django_assert_num_queries(0):
            response = outage.unavailable_response()
        html = response.content.decode()
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response["Cache-Control"] == "no-store"
        assert response["X-Robots-Tag"] == "noindex"
        assert "<h1>We'll be back shortly</h1>" in html
        assert f'Call us free on <a href="{TEL}">{FREEPHONE}</a>' in html
        page = outline(html)
        assert page.lang == "en-GB"
        assert page.title == "We'll be back shortly | Acme Claims"
        assert page.h1 == 1
        assert "/" in page.links
        assert '<meta name="robots" content="noindex">' in html
        assert 'rel="stylesheet" href="/static/home/css/site.css"' in html

    def test_a_process_with_no_memory_reads_the_file(self, offline_copy):
        offline.remember({"firm_name": "Acme Claims", "freephone": FREEPHONE, "freephone_tel": TEL})
        offline.forget()  # as a process started during the outage
        html = outage.unavailable_response().content.decode()
        assert f'<a href="{TEL}">{FREEPHONE}</a>' in html

    def test_with_neither_it_still_renders_without_a_number(self, offline_copy):
        response = outage.unavailable_response()
        html = response.content.decode()
        assert response.status_code == 503
        assert "<h1>We'll be back shortly</h1>" in html
        assert "Call us free" not in html
        assert "tel:" not in html

    def test_a_number_that_is_not_valid_is_shown_but_not_linked(self, offline_copy):
        offline.remember({"firm_name": "Acme", "freephone": "call reception", "freephone_tel": ""})
        html = outage.unavailable_response().content.decode()
        assert "Call us free on call reception." in html
        assert "tel:" not in html

    def test_passes_the_nu_html_checker(self, offline_copy):
        offline.remember({"firm_name": "Acme Claims", "freephone": FREEPHONE, "freephone_tel": TEL})
        report = nu_checker.check(outage.unavailable_response().content.decode())
        assert [m for m in report["messages"] if m.get("type") == "error"] == []


@pytest.mark.django_db
class TestTheCopyFollowsTheSettings:
    def test_a_page_rendered_writes_the_file(self, offline_copy, demo_site):
        assert Client().get("/").status_code == 200
        settings = SiteSettings.for_site(demo_site)
        assert json.loads(offline_copy.read_text()) == {
            "firm_name": settings.firm_name,
            "freephone": settings.freephone,
            "freephone_tel": settings.freephone_tel,
        }
        assert settings.freephone_tel.startswith("tel:+44")

    def test_a_file_that_differs_is_replaced_when_the_process_first_renders(
        self, offline_copy, demo_site
    ):
        offline_copy.parent.mkdir(parents=True)
        offline_copy.write_text('{"firm_name": "Old name", "freephone": "0800 000 0000"}')
        Client().get("/about/")
        firm_name = SiteSettings.for_site(demo_site).firm_name
        assert json.loads(offline_copy.read_text())["firm_name"] == firm_name

    def test_saving_the_settings_refreshes_memory_and_file(
        self, offline_copy, demo_site, django_capture_on_commit_callbacks
    ):
        settings = SiteSettings.for_site(demo_site)
        settings.freephone = "0800 028 0421"
        with django_capture_on_commit_callbacks(execute=True):
            settings.save()
        assert offline.contact()["freephone"] == "0800 028 0421"
        assert json.loads(offline_copy.read_text())["freephone_tel"] == "tel:+448000280421"

    def test_a_save_rolled_back_changes_nothing(
        self, offline_copy, demo_site, django_capture_on_commit_callbacks
    ):
        settings = SiteSettings.for_site(demo_site)
        settings.freephone = "0800 028 0421"
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            settings.save()
            transaction.set_rollback(True)
        assert offline.contact() == {}
        assert not offline_copy.exists()


@pytest.mark.django_db
def test_other_errors_keep_the_500_page(settings):
    settings.ROOT_URLCONF = "tests.home.outage_urls"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Retry-After" not in response


# --------------------------------------------------------------------------------------------
# A real outage (PostgreSQL through a proxy the test cuts)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestDatabaseOutage:
    def test_cached_pages_still_served_others_answer_503_then_all_come_back(
        self, demo_site, offline_copy, database_through_proxy
    ):
        freephone = SiteSettings.for_site(demo_site).freephone
        assert serve("/").status_code == 200  # rendered: the home page is now cached
        assert serve("/")["X-Cache"] == "HIT"

        database_through_proxy.cut()
        cached = serve("/")
        uncached = serve("/about/")

        assert (cached.status_code, cached["X-Cache"]) == (200, "HIT")
        assert uncached.status_code == 503
        assert uncached["Retry-After"] == "30"
        assert freephone in uncached.content.decode()
        assert uncached.seconds < 5

        database_through_proxy.restore()
        back = serve("/about/")
        assert back.status_code == 200
        assert "<h1>About us</h1>" in back.content.decode()

    def test_a_stalled_database_answers_503_within_the_connect_timeout(
        self, demo_site, offline_copy, database_through_proxy
    ):
        freephone = SiteSettings.for_site(demo_site).freephone
        assert serve("/").status_code == 200

        stall(database_through_proxy)
        response = serve("/case-studies/")

        assert response.status_code == 503
        assert freephone in response.content.decode()
        assert response.seconds < 5

        database_through_proxy.cut()
        database_through_proxy.restore()
        assert serve("/case-studies/").status_code == 200

    def test_a_process_that_never_reached_the_database_shows_the_number_from_the_file(
        self, demo_site, offline_copy, database_through_proxy
    ):
        freephone = SiteSettings.for_site(demo_site).freephone
        assert serve("/").status_code == 200  # another process wrote the file
        # This one starts during the outage: no copy in memory, no site snapshot, so the
        # request fails in the snapshot middleware, before any view.
        offline.forget()
        snapshot.clear()

        database_through_proxy.cut()
        response = serve("/about/")

        assert response.status_code == 503
        assert freephone in response.content.decode()
