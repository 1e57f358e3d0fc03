"""Counting readers' views of public pages: on renders and page-cache hits alike; never for
staff, previews, bots, HEAD, prefetches, errors or the admin; no cookie, no script; and the
coarse facts kept (campaign, referring host, device class), nothing more."""

import threading

import pytest

from breaches.models import BreachCaseStudyPage
from leads.conversion import counter
from leads.conversion.classify import View
from leads.models import PageViewDay
from tests.leads.conversion import (
    DESKTOP,
    GOOGLEBOT,
    IPAD,
    IPHONE,
    empty_tally,
    folded_views,
    reader_get,
)

SLUG = "fernhill-academy-trust-stolen-laptop"


@pytest.fixture
def case_study(demo_site):
    empty_tally()
    return BreachCaseStudyPage.objects.get(slug=SLUG)


@pytest.mark.django_db
class TestWhatCounts:
    def test_renders_and_page_cache_hits_both_count(self, client, case_study, settings):
        settings.PAGE_CACHE_ENABLED = True
        states = [reader_get(client, case_study.url)["X-Cache"] for _ in range(3)]
        assert states == ["MISS", "HIT", "HIT"]
        assert folded_views(page=case_study) == 3
        row = PageViewDay.objects.get(page=case_study)
        assert (row.path, row.device, row.utm_source, row.referrer_host) == (
            case_study.url,
            "desktop",
            "",
            "",
        )

    def test_a_browser_confirming_its_copy_counts(self, client, case_study, settings):
        settings.PAGE_CACHE_ENABLED = True
        etag = reader_get(client, case_study.url)["ETag"]
        reader_get(client, case_study.url)
        html = "text/html,application/xhtml+xml,*/*;q=0.8"
        again = reader_get(client, case_study.url, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT=html)
        assert again.status_code == 304
        # A 304 to something that did not ask for a page (a feed reader, a script) is no view.
        assert reader_get(client, case_study.url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert folded_views(page=case_study) == 3

    def test_with_the_page_cache_off_renders_count(self, client, case_study, settings):
        settings.PAGE_CACHE_ENABLED = False
        for _ in range(2):
            assert reader_get(client, case_study.url).status_code == 200
        assert folded_views(page=case_study) == 2

    def test_campaign_referrer_and_device_are_kept(self, client, case_study):
        reader_get(
            client,
            case_study.url + "?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
            agent=IPHONE,
            HTTP_REFERER="https://www.google.co.uk/search?q=my+data+breach",
        )
        reader_get(client, case_study.url, agent=IPAD, HTTP_REFERER="http://testserver/")
        assert folded_views(page=case_study) == 2
        mobile = PageViewDay.objects.get(page=case_study, device="mobile")
        assert (mobile.utm_source, mobile.utm_medium, mobile.utm_campaign) == (
            "newsletter",
            "email",
            "spring",
        )
        # The host only: never the search words or the rest of the address.
        assert mobile.referrer_host == "www.google.co.uk"
        tablet = PageViewDay.objects.get(page=case_study, device="tablet")
        assert tablet.referrer_host == ""  # our own site refers nobody

    def test_hostile_values_are_cut_and_cleaned(self, client, case_study):
        reader_get(
            client,
            case_study.url + "?utm_source=" + "x" * 500 + "&utm_campaign=%E2%80%AEevil%00",
            HTTP_REFERER="javascript:alert(1)",
        )
        assert folded_views(page=case_study) == 1
        row = PageViewDay.objects.get(page=case_study)
        assert row.utm_source == "x" * 100
        assert row.utm_campaign == "evil"
        assert row.referrer_host == ""


@pytest.mark.django_db
class TestWhatDoesNotCount:
    def test_bots_and_agentless_requests(self, client, case_study):
        reader_get(client, case_study.url, agent=GOOGLEBOT)
        reader_get(client, case_study.url, agent="curl/8.5.0")
        client.get(case_study.url)  # no user agent at all
        assert folded_views() == 0

    def test_head_and_post(self, client, case_study):
        client.head(case_study.url, HTTP_USER_AGENT=DESKTOP)
        client.post(case_study.url, {}, HTTP_USER_AGENT=DESKTOP)
        assert folded_views() == 0

    @pytest.mark.parametrize(
        "header",
        [
            {"HTTP_SEC_PURPOSE": "prefetch"},
            {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
            {"HTTP_PURPOSE": "prefetch"},
            {"HTTP_X_MOZ": "prefetch"},
        ],
    )
    def test_prefetches(self, client, case_study, header):
        assert reader_get(client, case_study.url, **header).status_code == 200
        assert folded_views() == 0

    def test_signed_in_staff(self, admin_client, case_study, settings):
        settings.PAGE_CACHE_ENABLED = True
        assert reader_get(admin_client, case_study.url).status_code == 200
        assert folded_views() == 0

    def test_previews_and_the_admin(self, admin_client, case_study):
        preview = reader_get(admin_client, f"/admin/pages/{case_study.pk}/edit/preview/")
        edit = reader_get(admin_client, f"/admin/pages/{case_study.pk}/edit/")
        assert edit.status_code == 200
        assert preview.status_code in (200, 405)
        assert folded_views() == 0

    def test_errors_and_files(self, client, case_study):
        assert reader_get(client, "/no-such-page/").status_code == 404
        assert reader_get(client, "/robots.txt").status_code == 200
        assert folded_views() == 0

    def test_the_operator_switch(self, client, case_study, settings):
        settings.LEADS_COUNT_VIEWS = False
        assert reader_get(client, case_study.url).status_code == 200
        assert folded_views() == 0


@pytest.mark.django_db
class TestNothingReachesTheReader:
    def test_no_cookie_and_the_same_page_with_counting_on_or_off(
        self, client, case_study, settings
    ):
        settings.PAGE_CACHE_ENABLED = False
        settings.LEADS_COUNT_VIEWS = False
        off = reader_get(client, case_study.url)
        settings.LEADS_COUNT_VIEWS = True
        on = reader_get(client, case_study.url)
        assert folded_views(page=case_study) == 1
        assert not on.cookies
        assert "Set-Cookie" not in on
        assert sorted(on.headers) == sorted(off.headers)
        scripts = [response.content.decode().count("<script") for response in (off, on)]
        assert scripts[0] == scripts[1]


def test_tally_is_exact_while_threads_count_and_flush(settings, private_redis):
    """Eight threads count while another hands the tally to Redis again and again: every view
    arrives exactly once."""
    settings.LEADS_COUNT_REDIS_URL = private_redis.url
    empty = counter.redis_client()
    assert empty.dbsize() == 0
    view = View("testserver", "/x/", "", "", "", "", "desktop")
    per_thread, threads = 2000, 8
    done = threading.Event()

    def flushing():
        while not done.is_set():
            counter.flush()

    def counting():
        for _ in range(per_thread):
            counter.count(view)

    flusher = threading.Thread(target=flushing)
    flusher.start()
    workers = [threading.Thread(target=counting) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    flusher.join()
    counter.flush()
    stored = sum(int(n) for key in empty.keys("*") for n in empty.hvals(key))
    assert stored == per_thread * threads
