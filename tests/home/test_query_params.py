"""Cache-busting: query parameters a page does not read are served from the plain page's
entry, create no entry or fragment of their own, never reach the page and never reach its
canonical link; the parameters a page does read (the index's filters, search's terms) still
give it other content (home/page_cache/query.py).

Entries are counted in a private redis-server under the production cache backend, so "no new
entry" is what Redis holds, not what a test double says.
"""

import re

import pytest
import redis
from django.test import Client

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType
from home.page_cache import declare_page_query

CASE_STUDY = "/case-studies/northmere-hospitals-nhs-trust-appointment-letters/"
INDEX = "/case-studies/"


@pytest.fixture
def redis_cache(redis_cache):
    """tests/fault_services.py's, as a client to count the keys with."""
    return redis.Redis.from_url(redis_cache.url)


def count(server, kind):
    return len(server.keys(f"*pagecache:{kind}:*"))


def get(path, **extra):
    # A new client each time: nothing carried over between readers.
    response = Client().get(path, **extra)
    return response["X-Cache"], response.content.decode()


def without_token(body):
    return re.sub(r'name="token" value="[^"]*"', 'name="token"', body)


def canonical(body):
    return re.search(r'<link rel="canonical" href="([^"]*)"', body).group(1)


def cards(body):
    return re.findall(r'class="case-card__title"><a href="([^"]+)"', body)


@pytest.mark.django_db
class TestUnknownParametersAreTheSamePage:
    def test_a_case_study_with_a_new_parameter_each_time_is_a_hit_and_stores_nothing(
        self, demo_site, redis_cache
    ):
        state, plain = get(CASE_STUDY)
        assert state == "MISS"
        entries, fragments = count(redis_cache, "entry"), count(redis_cache, "fragment")
        for n in range(1, 6):
            state, body = get(f"{CASE_STUDY}?r={n}")
            assert state == "HIT"
            assert body == plain
        assert count(redis_cache, "entry") == entries
        assert count(redis_cache, "fragment") == fragments

    def test_the_first_reader_with_a_parameter_fills_the_plain_pages_entry(
        self, demo_site, redis_cache
    ):
        state, body = get(f"{CASE_STUDY}?r=1&utm_source=mail")
        assert state == "MISS"
        entries = count(redis_cache, "entry")
        assert entries == 1
        assert get(CASE_STUDY) == ("HIT", body)
        assert get(f"{CASE_STUDY}?r=2")[0] == "HIT"
        assert count(redis_cache, "entry") == entries

    def test_the_page_never_sees_a_parameter_it_did_not_declare(self, demo_site, redis_cache):
        marker = "zq9marker"
        for path in (CASE_STUDY, INDEX, "/", "/search/?q=police"):
            joiner = "&" if "?" in path else "?"
            _, body = get(f"{path}{joiner}{marker}={marker}&page{marker}=1")
            assert marker not in body, path

    def test_feed_sitemap_and_robots_are_hits_whatever_is_appended(self, demo_site, redis_cache):
        for path in ("/case-studies/feed/", "/sitemap.xml", "/robots.txt"):
            assert get(path)[0] == "MISS", path
            entries = count(redis_cache, "entry")
            assert get(f"{path}?r=1")[0] == "HIT", path
            assert get(f"{path}?page=2&type=x")[0] == "HIT", path
            assert count(redis_cache, "entry") == entries

    def test_a_page_that_is_not_found_keeps_no_fragments_for_a_query(self, demo_site, redis_cache):
        response = Client().get("/no-such-page/?r=1")
        assert response.status_code == 404
        assert count(redis_cache, "fragment") == 0


@pytest.mark.django_db
class TestDeclaredParametersStillVary:
    def test_the_index_filters_give_their_own_pages(self, demo_site, redis_cache):
        breach_type = BreachType.objects.filter(case_studies__live=True).first()
        assert get(INDEX)[0] == "MISS"
        _, everything = get(f"{INDEX}?r=1")
        filtered_path = f"{INDEX}?type={breach_type.slug}"
        state, filtered = get(filtered_path)
        assert state == "MISS"
        expected = BreachCaseStudyPage.objects.live().filter(breach_types=breach_type)
        assert sorted(cards(filtered)) == sorted(page.url for page in expected)
        assert cards(filtered) != cards(everything)
        # Junk beside a filter, in any order: the filtered page's entry.
        assert get(f"{INDEX}?r=2&type={breach_type.slug}") == ("HIT", filtered)
        assert get(f"{INDEX}?type={breach_type.slug}&utm_source=x&r=3") == ("HIT", filtered)
        sector = expected.first().sector
        state, by_sector = get(f"{INDEX}?sector={sector}&r=4")
        assert state == "MISS"
        assert f'value="{sector}" selected' in by_sector

    def test_a_filtered_index_is_a_hit_before_anyone_asks_for_the_plain_index(
        self, demo_site, redis_cache
    ):
        breach_type = BreachType.objects.filter(case_studies__live=True).first()
        state, filtered = get(f"{INDEX}?type={breach_type.slug}&r=1")
        assert state == "MISS"
        assert get(f"{INDEX}?r=2&type={breach_type.slug}") == ("HIT", filtered)
        assert get(f"{INDEX}?r=3")[0] == "MISS"

    def test_the_form_result_is_its_own_page(self, demo_site, redis_cache):
        _, plain = get(CASE_STUDY)
        state, sent = get(f"{CASE_STUDY}?callback=sent&r=1")
        assert state == "MISS"
        assert sent != plain
        assert get(f"{CASE_STUDY}?r=2&callback=sent") == ("HIT", sent)

    def test_too_many_declared_parameters_are_served_but_not_stored(
        self, demo_site, redis_cache, settings
    ):
        settings.PAGE_CACHE_MAX_QUERY_PARAMS = 1
        path = f"{INDEX}?sector=health&year=2020&r=1"
        assert get(path)[0] == "BYPASS"
        assert get(path)[0] == "BYPASS"
        assert get(f"{INDEX}?sector=health&r=2")[0] == "MISS"


@pytest.mark.django_db
class TestCanonicalLinks:
    def test_a_case_studys_canonical_carries_no_parameters(self, demo_site, redis_cache):
        page = BreachCaseStudyPage.objects.get(slug=CASE_STUDY.strip("/").split("/")[-1])
        for query in ("", "?r=1", "?utm_source=x&gclid=1", "?callback=sent&r=2"):
            _, body = get(CASE_STUDY + query)
            assert canonical(body) == page.full_url, query

    def test_the_index_canonical_keeps_only_the_page_number(self, demo_site, redis_cache):
        _, body = get(f"{INDEX}?r=1&sector=health")
        assert canonical(body).endswith(INDEX)
        _, body = get(f"{INDEX}?page=1&r=2")
        assert canonical(body).endswith(INDEX)


@pytest.mark.django_db
class TestSearchFragments:
    def test_search_fragments_key_on_its_own_parameters_only(self, demo_site, redis_cache):
        state, first = get("/search/?q=police&r=1")
        assert state == "BYPASS"  # search pages are never page-cached
        fragments = count(redis_cache, "fragment")
        assert fragments > 0
        for n in range(2, 5):
            _, body = get(f"/search/?r={n}&q=police")
            # The call-back box's signed token carries the second it was rendered in.
            assert without_token(body) == without_token(first)
        assert count(redis_cache, "fragment") == fragments
        _, other = get("/search/?q=council&r=5")
        assert count(redis_cache, "fragment") > fragments
        assert other != first


@pytest.mark.django_db
class TestWhatTheViewSees:
    def test_a_declared_view_sees_only_its_parameters_sorted(
        self, demo_site, redis_cache, settings
    ):
        settings.ROOT_URLCONF = "tests.home.page_cache_urls"
        state, body = get("/t/echo/?z=1&a=2&utm_source=x&a=1")
        assert state == "MISS"
        assert body == "GET=a=2&a=1 path=/t/echo/?a=2&a=1"
        assert get("/t/echo/?a=2&r=9&a=1") == ("HIT", body)
        assert get("/t/echo/?a=1&a=2")[0] == "MISS"  # the order of one name's values counts

    def test_a_page_sees_only_what_its_model_declares(self, demo_site, rf):
        page = BreachCaseStudyPage.objects.live().first()
        request = rf.get(page.url, {"r": "1", "callback": "sent", "utm_source": "x"})
        declare_page_query(page, request, (), {})
        assert request.GET.dict() == {"callback": "sent"}
        assert request.get_full_path() == page.url + "?callback=sent"

    def test_a_routable_pages_route_declares_for_itself(self, demo_site, rf):
        index = BreachIndexPage.objects.get()
        request = rf.get(INDEX + "feed/", {"type": "x", "r": "1"})
        view, args, kwargs = index.resolve_subpage("/feed/")
        declare_page_query(index, request, (view, args, kwargs), {})
        assert request.GET.dict() == {}
        request = rf.get(INDEX, {"type": "x", "page": "2", "r": "1"})
        view, args, kwargs = index.resolve_subpage("/")
        declare_page_query(index, request, (view, args, kwargs), {})
        assert request.GET.dict() == {"page": "2", "type": "x"}
