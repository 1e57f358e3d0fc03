"""After a purge, readers of a page that is being rendered again (home/page_cache/revalidate.py).

Real concurrency: threads through Django's test client against a private redis-server under
the production cache backend, with the about page's render counted and slowed down so that
the readers really arrive while it is being rendered. What is checked is what readers get
(status, X-Cache, the phone number or title on the page) and how many renders there were.
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
from home.page_cache.keys import FILL_PREFIX
from home.page_cache.middleware import request_key
from tests.fault_services import REDIS_RETRY_SECONDS

READERS = 8
RENDER_SECONDS = 0.6
OLD_PHONE, NEW_PHONE = "0800 111 2222", "0800 999 8888"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _full_render_budget():
    revalidate.budget.reset()
    yield
    revalidate.budget.reset()


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


def read(path, client=None, results=None):
    try:
        response = (client or Client()).get(path)
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


class TestAfterASiteWidePurge:
    def test_many_readers_of_one_page_cause_one_render_and_get_the_previous_copy(
        self, site, renders
    ):
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
        status, state, body = read("/about/")
        assert (status, state) == (200, "HIT")
        assert NEW_PHONE in body
        assert renders.count == 1

    def test_a_copy_stored_long_before_the_purge_is_served_while_the_page_is_rendered(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_STALE_SECONDS = 1
        warm("/about/", renders)
        time.sleep(1.2)  # the copy is older than the bound, but it was current until now
        change_phone(site)
        results = readers_at_once("/about/")
        assert renders.count == 1
        assert states(results) == ["MISS"] + ["STALE"] * (READERS - 1)

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

        # An anonymous reader renders the page; meanwhile the editor and another anonymous
        # reader ask for it.
        renderer = threading.Thread(target=read, args=("/about/",))
        renderer.start()
        time.sleep(RENDER_SECONDS / 3)
        anonymous = read("/about/")
        editor_sees = read("/about/", signed_in())
        renderer.join()
        assert anonymous[1] == "STALE"
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
        entry_key, _path_key = request_key(RequestFactory().get("/about/"))
        assert cache.add(FILL_PREFIX + entry_key, "dead", timeout=1)
        status, state, body = read("/about/")
        assert (status, state) == (200, "STALE")
        assert OLD_PHONE in body
        assert renders.count == 0
        time.sleep(1.1)
        status, state, body = read("/about/")
        assert (status, state) == (200, "MISS")
        assert NEW_PHONE in body

    def test_readers_with_no_previous_copy_wait_only_briefly(self, site, renders, settings):
        settings.PAGE_CACHE_STALE_SECONDS = 0
        settings.PAGE_CACHE_FILL_WAIT_SECONDS = 0.2
        warm("/about/", renders)
        change_phone(site)
        entry_key, _path_key = request_key(RequestFactory().get("/about/"))
        assert cache.add(FILL_PREFIX + entry_key, "dead", timeout=10)
        started = time.monotonic()
        status, state, body = read("/about/")
        waited = time.monotonic() - started - RENDER_SECONDS
        assert (status, state) == (200, "MISS")
        assert NEW_PHONE in body
        assert 0.2 <= waited < 0.6


class TestRenderBudget:
    def test_a_process_that_spent_its_share_serves_the_previous_copy_instead(
        self, site, renders, settings
    ):
        settings.PAGE_CACHE_REVALIDATE_SHARE = 0.01
        warm("/about/", renders)
        change_phone(site)
        revalidate.budget.spend(10)  # as after many renders in a purge storm
        status, state, body = read("/about/")
        assert (status, state) == (200, "STALE")
        assert OLD_PHONE in body
        assert renders.count == 0
        revalidate.budget.reset()
        status, state, body = read("/about/")
        assert (status, state) == (200, "MISS")
        assert NEW_PHONE in body

    def test_never_beyond_the_bound(self, site, renders, settings):
        settings.PAGE_CACHE_REVALIDATE_SHARE = 0.01
        settings.PAGE_CACHE_STALE_SECONDS = 1
        warm("/about/", renders)
        change_phone(site)
        revalidate.budget.spend(10)
        assert read("/about/")[1] == "STALE"
        time.sleep(1.1)
        status, state, body = read("/about/")
        assert (status, state) == (200, "MISS")
        assert NEW_PHONE in body
        assert renders.count == 1
