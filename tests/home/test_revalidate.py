"""After a purge, readers of a page that is being rendered again (home/page_cache/revalidate.py,
and the background renderer in home/page_cache/refresh.py).

Real concurrency: threads through Django's test client against a private redis-server under
the production cache backend, with the about page's render counted and slowed down so that
the readers really arrive while it is being rendered, and the process's real renderer thread.
What is checked is what readers get (status, X-Cache and its reason, the phone number or title
on the page) and how many renders there were.
"""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from wagtail.models import PageViewRestriction

from home.models import SiteSettings, StandardPage
from home.page_cache import purge_all, revalidate
from home.page_cache.conf import DEFAULTS
from home.page_cache.keys import FILL_PREFIX
from home.page_cache.middleware import request_key
from home.page_cache.refresh import ENVIRON_KEY, internal_environ, refresher
from tests.fault_services import REDIS_RETRY_SECONDS

READERS = 8
RENDER_SECONDS = 0.6
OLD_PHONE, NEW_PHONE = "0800 111 2222", "0800 999 8888"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _full_render_budget(settings):
    # Production's background renderer (the test settings render in the request).
    settings.PAGE_CACHE_REFRESH_QUEUE = DEFAULTS["PAGE_CACHE_REFRESH_QUEUE"]
    revalidate.budget.reset()
    yield
    # Nothing handed to the renderer may outlive the test (and its Redis).
    assert refresher.wait_idle()
    revalidate.budget.reset()


def rendered_in_background():
    assert refresher.wait_idle()


class Renders:
    """Counts renders of the about page, each made slow enough for readers to pile up."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()


@pytest.fixture
def renders(monkeypatch):
    counter = Renders()
    original = StandardPage.serve

    def counted_serve(page, request, *args, **kwargs):
        with counter.lock:
            counter.count += 1
        time.sleep(RENDER_SECONDS)
        return original(page, request, *args, **kwargs)

    monkeypatch.setattr(StandardPage, "serve", counted_serve)
    return counter


@pytest.fixture
def site(demo_site, redis_cache):
    site_settings = SiteSettings.objects.get(site=demo_site)
    site_settings.freephone = OLD_PHONE
    site_settings.save()
    return site_settings


def read(path, client=None, results=None, method="get"):
    try:
        response = getattr(client or Client(), method)(path)
        outcome = (response.status_code, response.get("X-Cache"), response.content.decode())
        if results is not None:
            results.append(outcome + (response.get("Cache-Control"),))
        return outcome
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()


def readers_at_once(path, n=READERS, client_factory=Client):
    """n readers started together; each result is (status, X-Cache, body, Cache-Control)."""
    results = []
    barrier = threading.Barrier(n)

    def reader():
        client = client_factory()
        barrier.wait()
        read(path, client, results)

    threads = [threading.Thread(target=reader) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == n
    return results


def warm(path, renders):
    assert read(path)[1] == "MISS"
    assert read(path)[1] == "HIT"
    renders.count = 0


def change_phone(site_settings):
    # Saving site settings purges every page (a site-wide purge that allows stale copies).
    site_settings.freephone = NEW_PHONE
    site_settings.save()


def states(results):
    return sorted(state for _status, state, _body, _control in results)


def read_explained(path, client=None):
    """(status, X-Cache, X-Cache-Reason, body)."""
    response = (client or Client()).get(path)
    return (
        response.status_code,
        response.get("X-Cache"),
        response.get("X-Cache-Reason"),
        response.content.decode(),
    )


def assert_new_copy_served(path, client=None):
    """The page is a hit, and it shows the new phone number."""
    status, state, body = read(path, client)
    assert (status, state) == (200, "HIT")
    assert NEW_PHONE in body


def hand_over_two_pages(site, renders):
    """After a purge, the about page is being rendered in the background and the privacy
    page waits behind it."""
    warm("/about/", renders)
    warm("/privacy-policy/", renders)
    change_phone(site)
    assert read_explained("/about/")[2] == "refreshing"
    until_rendering(renders)
    assert read_explained("/privacy-policy/")[2] == "refreshing"


def lock_of(path):
    entry_key, _path_key = request_key(RequestFactory().get(path))
    return FILL_PREFIX + entry_key


def until_rendering(renders, count=1):
    """Until the renderer is inside the count-th slow render."""
    deadline = time.monotonic() + 10
    while renders.count < count:
        assert time.monotonic() < deadline, "the renderer never started"
        time.sleep(0.01)


class TestAfterASiteWidePurge:
    def test_every_reader_gets_the_previous_copy_and_the_page_is_rendered_once_after(
        self, site, renders
    ):
        warm("/about/", renders)
        change_phone(site)
        results = readers_at_once("/about/")
        assert all(status == 200 for status, *_ in results)
        assert states(results) == ["STALE"] * READERS
        for _status, _state, body, control in results:
            assert OLD_PHONE in body
            # Only good for the bound: no browser or CDN may keep it.
            assert control == "no-cache"
        rendered_in_background()
        assert renders.count == 1
        # The new copy is what everyone gets next, with no further render.
        assert_new_copy_served("/about/")
        assert renders.count == 1

    def test_the_first_reader_hands_the_page_over_and_the_others_see_it_being_rendered(
        self, site, renders
    ):
        warm("/about/", renders)
        change_phone(site)
        first = read_explained("/about/")
        second = read_explained("/about/")
        assert first[:3] == (200, "STALE", "refreshing")
        assert second[:3] == (200, "STALE", "rendering")
        rendered_in_background()
        assert read("/about/")[:2] == (200, "HIT")
        assert renders.count == 1

    def test_the_stored_page_is_the_page_a_reader_rendering_it_would_get(self, site, renders):
        rendered_here = Client().get("/about/")
        assert rendered_here["X-Cache"] == "MISS"
        change_phone(site)
        assert read("/about/")[1] == "STALE"
        rendered_in_background()
        stored = Client().get("/about/")
        assert stored["X-Cache"] == "HIT"
        assert NEW_PHONE in stored.content.decode()
        # The same headers, from every middleware (security, CSP, caching), as in a request.
        assert sorted(name for name, _ in stored.items() if name != "X-Cache") == sorted(
            name for name, _ in rendered_here.items() if name != "X-Cache"
        )
        assert stored["Cache-Control"] == rendered_here["Cache-Control"]
        assert stored["Content-Security-Policy"] == rendered_here["Content-Security-Policy"]
        assert "Set-Cookie" not in stored

    def test_the_reader_who_renders_in_the_request_when_the_renderer_is_off(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_REFRESH_QUEUE = 0
        warm("/about/", renders)
        change_phone(site)
        results = readers_at_once("/about/")
        assert renders.count == 1
        assert all(status == 200 for status, *_ in results)
        assert states(results) == ["MISS"] + ["STALE"] * (READERS - 1)
        for _status, state, body, control in results:
            if state == "STALE":
                assert OLD_PHONE in body
                # Only good for the bound: no browser or CDN may keep it.
                assert control == "no-cache"
            else:
                assert NEW_PHONE in body
        # The new copy is what everyone gets next, with no further render.
        assert_new_copy_served("/about/")
        assert renders.count == 1

    def test_a_copy_stored_long_before_the_purge_is_served_while_the_page_is_rendered(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_STALE_SECONDS = 1
        warm("/about/", renders)
        time.sleep(1.2)  # the copy is older than the bound, but it was current until now
        change_phone(site)
        results = readers_at_once("/about/")
        assert states(results) == ["STALE"] * READERS
        rendered_in_background()
        assert renders.count == 1

    def test_no_previous_copy_is_served_once_the_purge_is_older_than_the_bound(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_STALE_SECONDS = 1
        warm("/about/", renders)
        change_phone(site)
        time.sleep(0.6)
        purge_all()  # a later purge does not make the copy any newer
        time.sleep(0.6)
        results = readers_at_once("/about/")
        # They waited for the one render instead: every reader sees the new number.
        assert renders.count == 1
        assert all(status == 200 for status, *_ in results)
        assert "STALE" not in states(results)
        assert all(NEW_PHONE in body and OLD_PHONE not in body for _s, _x, body, _c in results)

    def test_readers_who_cannot_wait_long_enough_render_themselves(self, site, renders, settings):
        settings.PAGE_CACHE_STALE_SECONDS = 0
        settings.PAGE_CACHE_FILL_WAIT_SECONDS = 0.1
        warm("/about/", renders)
        change_phone(site)
        results = readers_at_once("/about/", n=3)
        assert renders.count == 3
        assert all(status == 200 and NEW_PHONE in body for status, _x, body, _c in results)

    def test_a_reader_signed_in_is_never_served_the_previous_copy(self, site, renders):
        editor = get_user_model().objects.create_user("editor", password="x" * 12)
        warm("/about/", renders)
        change_phone(site)

        def signed_in():
            client = Client()
            client.force_login(editor)
            return client

        # An anonymous reader hands the page to the renderer; while it renders, the editor
        # and another anonymous reader ask for it.
        first = read("/about/")
        anonymous = read("/about/")
        editor_sees = read("/about/", signed_in())
        assert (first[1], anonymous[1]) == ("STALE", "STALE")
        assert editor_sees[:2] == (200, "BYPASS")
        assert NEW_PHONE in editor_sees[2]
        assert OLD_PHONE not in editor_sees[2]


class TestPurgesThatAllowNoPreviousCopy:
    def test_a_published_page_is_never_served_in_its_previous_form(self, site, renders):
        warm("/about/", renders)
        about = StandardPage.objects.get(slug="about")
        about.title = "About the firm, revised"
        about.save_revision().publish()
        results = readers_at_once("/about/")
        assert renders.count == 1
        assert "STALE" not in states(results)
        assert all(
            status == 200 and "<h1>About the firm, revised</h1>" in body
            for status, _x, body, _c in results
        )

    def test_a_purge_that_allows_no_previous_copy(self, site, renders):
        warm("/about/", renders)
        purge_all(allow_stale=False)
        results = readers_at_once("/about/")
        assert renders.count == 1
        assert "STALE" not in states(results)
        assert all(status == 200 for status, *_ in results)

    def test_a_page_made_private_is_never_served_to_anyone_again(self, site, renders):
        warm("/about/", renders)
        about = StandardPage.objects.get(slug="about")
        PageViewRestriction.objects.create(page=about, restriction_type="login")
        results = readers_at_once("/about/", n=4)
        assert all(status == 302 and state != "STALE" for status, state, _b, _c in results)

    def test_no_page_stored_before_a_redis_outage_is_served_after_it(
        self, site, renders, redis_cache
    ):
        warm("/about/", renders)  # stored a moment ago: well inside the bound
        redis_cache.freeze()  # unreachable, keeping the page and its tokens
        assert cache.get("anything") is None
        assert cache.breaker.is_down
        assert read("/about/")[:2] == (200, "BYPASS")
        redis_cache.thaw()
        time.sleep(REDIS_RETRY_SECONDS + 0.1)
        cache.get("anything")  # the first use after the outage puts things right
        renders.count = 0
        results = readers_at_once("/about/")
        assert renders.count == 1
        assert "STALE" not in states(results)
        assert all(status == 200 for status, *_ in results)


class TestTheLockOfARenderThatDied:
    def test_expires_and_the_next_reader_renders(self, site, renders, settings):
        settings.PAGE_CACHE_FILL_LOCK_SECONDS = 1
        warm("/about/", renders)
        change_phone(site)
        # A renderer took the lock and died: its lock is all that is left of it.
        assert cache.add(lock_of("/about/"), "dead", timeout=1)
        status, state, body = read("/about/")
        assert (status, state) == (200, "STALE")
        assert OLD_PHONE in body
        assert renders.count == 0
        time.sleep(1.1)
        assert read_explained("/about/")[:3] == (200, "STALE", "refreshing")
        rendered_in_background()
        assert_new_copy_served("/about/")

    def test_readers_with_no_previous_copy_wait_only_briefly(self, site, renders, settings):
        settings.PAGE_CACHE_STALE_SECONDS = 0
        settings.PAGE_CACHE_FILL_WAIT_SECONDS = 0.2
        warm("/about/", renders)
        change_phone(site)
        assert cache.add(lock_of("/about/"), "dead", timeout=10)
        started = time.monotonic()
        status, state, body = read("/about/")
        waited = time.monotonic() - started - RENDER_SECONDS
        assert (status, state) == (200, "MISS")
        assert NEW_PHONE in body
        # Waited for the wait setting, not for the 10 s lock (slack for a loaded machine).
        assert 0.2 <= waited < 2


class TestRenderBudget:
    def test_a_process_that_spent_its_share_serves_the_previous_copy_instead(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_REVALIDATE_SHARE = 0.01
        warm("/about/", renders)
        change_phone(site)
        revalidate.budget.spend(10)  # as after many renders in a purge storm
        status, state, reason, body = read_explained("/about/")
        assert (status, state, reason) == (200, "STALE", "budget")
        assert OLD_PHONE in body
        rendered_in_background()
        assert renders.count == 0
        revalidate.budget.reset()
        assert read_explained("/about/")[:3] == (200, "STALE", "refreshing")
        rendered_in_background()
        assert_new_copy_served("/about/")

    def test_renders_in_the_background_spend_it(self, site, renders, settings):
        settings.PAGE_CACHE_REVALIDATE_SHARE = 0.01
        warm("/about/", renders)
        change_phone(site)
        assert read_explained("/about/")[2] == "refreshing"
        rendered_in_background()
        # The render's whole time came out of the budget, as for a render in a request.
        assert revalidate.budget.level <= revalidate.RenderBudget.BURST_SECONDS - RENDER_SECONDS

    def test_a_page_waiting_for_the_renderer_sets_budget_aside(self, site, renders, settings):
        settings.PAGE_CACHE_REVALIDATE_SHARE = 0.01
        hand_over_two_pages(site, renders)
        # The about page's render spends when it is done; the privacy page's usual cost is
        # set aside while it waits.
        assert refresher.estimate > 0.01
        assert revalidate.budget.level == pytest.approx(
            revalidate.RenderBudget.BURST_SECONDS - refresher.estimate, abs=0.01
        )

    def test_the_renderer_drops_a_page_once_the_budget_is_spent(self, site, renders, settings):
        settings.PAGE_CACHE_REVALIDATE_SHARE = 0.01
        hand_over_two_pages(site, renders)
        revalidate.budget.spend(10)  # spent by the time the privacy page's turn comes
        rendered_in_background()
        assert renders.count == 1
        assert cache.get(lock_of("/privacy-policy/")) is None
        status, state, reason, body = read_explained("/privacy-policy/")
        assert (status, state, reason) == (200, "STALE", "budget")
        assert OLD_PHONE in body


class TestTheBackgroundRenderer:
    def test_a_full_queue_leaves_the_page_to_a_later_reader(self, site, renders, settings):
        settings.PAGE_CACHE_REFRESH_QUEUE = 2
        pages = ("/about/", "/privacy-policy/", "/cookie-policy/")
        for path in pages:
            warm(path, renders)
        change_phone(site)
        assert read_explained("/about/")[2] == "refreshing"
        until_rendering(renders)
        assert read_explained("/privacy-policy/")[2] == "refreshing"
        status, state, reason, body = read_explained("/cookie-policy/")
        assert (status, state, reason) == (200, "STALE", "queue-full")
        assert OLD_PHONE in body
        # Its lock was let go at once: the next reader may hand it over.
        assert cache.get(lock_of("/cookie-policy/")) is None
        rendered_in_background()
        assert renders.count == 2
        assert read_explained("/cookie-policy/")[2] == "refreshing"
        rendered_in_background()
        for path in pages:
            assert_new_copy_served(path)
        assert renders.count == 3

    def test_a_page_that_waited_too_long_is_dropped_and_its_lock_let_go(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_FILL_LOCK_SECONDS = 0.8
        # The privacy page waits behind a render longer than half its lock (0.6 s > 0.4 s).
        hand_over_two_pages(site, renders)
        rendered_in_background()
        assert renders.count == 1
        assert cache.get(lock_of("/privacy-policy/")) is None
        assert read_explained("/privacy-policy/")[2] == "refreshing"
        rendered_in_background()
        assert read("/privacy-policy/")[1] == "HIT"

    def test_a_head_request_hands_the_page_over_and_the_next_get_is_a_hit(self, site, renders):
        warm("/about/", renders)
        change_phone(site)
        status, state, _body = read("/about/", method="head")
        assert (status, state) == (200, "STALE")
        rendered_in_background()
        assert_new_copy_served("/about/")

    def test_a_page_read_with_a_query_string_is_rendered_with_what_it_reads(self, site):
        assert read("/case-studies/?sector=health")[1] == "MISS"
        assert read("/case-studies/?sector=health")[1] == "HIT"
        change_phone(site)
        status, state, reason, body = read_explained(
            "/case-studies/?utm_source=news&sector=health&r=7"
        )
        assert (status, state, reason) == (200, "STALE", "refreshing")
        assert OLD_PHONE in body
        rendered_in_background()
        assert_new_copy_served("/case-studies/?sector=health")
        # Stored under its own parameters only: the unfiltered index was not replaced.
        assert read("/case-studies/")[1] != "HIT"

    def test_a_reader_with_a_consent_choice_refreshes_that_choice_s_copy(self, site, renders):
        def chooser():
            client = Client()
            client.cookies["cookie_consent"] = "analytics=-1|marketing=-1"
            client.cookies["_ga"] = "GA1.2.3.4"
            return client

        assert read("/about/", chooser())[1] == "MISS"
        assert read("/about/", chooser())[1] == "HIT"
        change_phone(site)
        assert read_explained("/about/", chooser())[:3] == (200, "STALE", "refreshing")
        rendered_in_background()
        assert_new_copy_served("/about/", chooser())
        # A reader without that choice has an entry of their own, never refreshed here.
        assert read("/about/")[1] == "MISS"

    @pytest.mark.postgres
    def test_the_renderer_holds_no_database_connection_once_idle(self, site, renders):
        if connection.vendor != "postgresql":
            pytest.skip("counts PostgreSQL backends (pg_stat_activity)")

        def backends():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
                return cursor.fetchone()[0]

        warm("/about/", renders)
        change_phone(site)
        assert backends() == 1
        assert read("/about/")[1] == "STALE"
        until_rendering(renders)
        assert backends() == 2  # the renderer's own, while it renders
        rendered_in_background()
        assert backends() == 1


class TestTheRenderersRequest:
    def test_is_a_plain_get_of_the_page_with_only_the_cookies_the_cache_keys_on(self, settings):
        request = RequestFactory().post(
            "/about/?utm_source=x",
            data={"full_name": "A Reader"},
            HTTP_IF_NONE_MATCH='"abc"',
            HTTP_RANGE="bytes=0-10",
            HTTP_USER_AGENT="Reader/1.0",
            HTTP_COOKIE="cookie_consent=analytics=-1; _ga=GA1.2.3; csrftoken=x",
        )
        environ = internal_environ(request, "sector=health")
        assert environ["REQUEST_METHOD"] == "GET"
        assert environ["QUERY_STRING"] == "sector=health"
        assert environ["HTTP_COOKIE"] == "cookie_consent=analytics=-1"
        assert environ["HTTP_USER_AGENT"] == "Reader/1.0"
        assert environ["PATH_INFO"] == "/about/"
        for dropped in ("HTTP_IF_NONE_MATCH", "HTTP_RANGE", "CONTENT_LENGTH", "CONTENT_TYPE"):
            assert dropped not in environ
        assert environ["wsgi.input"].read() == b""

    def test_cannot_be_claimed_by_a_client(self, site, renders):
        warm("/about/", renders)
        change_phone(site)
        response = Client().get("/about/", headers={ENVIRON_KEY: "1"})
        assert response["X-Cache-Reason"] == "refreshing"
        rendered_in_background()
        assert renders.count == 1
