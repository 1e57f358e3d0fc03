"""deploy/varnish/site.vcl in front of the site: Debian's varnishd (tests/edge_services.py)
with Django's live server as its backend, purged through Wagtail's frontend cache.

What a reader gets from Varnish (the second request is Varnish's copy; a publish shows at
once; the session, the admin and POSTs never get a shared copy; consent choices are never
mixed), and who may purge it. Skipped with a reason without varnishd; CI installs it and sets
REQUIRE_VARNISH=1, where a missing varnishd fails instead (tests/conftest.py).
"""

import http.client

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from breaches.models import BreachCaseStudyPage
from home.models import SiteSettings

pytestmark = [pytest.mark.varnish, pytest.mark.django_db(transaction=True)]

HOST = "testserver"  # the demo site's hostname (WAGTAILADMIN_BASE_URL in test settings)


@pytest.fixture
def edge(varnish, settings, demo_site):
    """The site behind Varnish, purging it as production would with FRONTEND_CACHE_URL set,
    starting from an empty Varnish."""
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": varnish.url,
        }
    }
    assert purge(varnish, "/*").status == 200
    return varnish


def get(varnish, path, cookies=None, headers=None, **kwargs):
    headers = {"Host": HOST, **(headers or {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return requests.get(
        varnish.url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
    )


def purge(varnish, path, source="127.0.0.1", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", varnish.port, source_address=(source, 0))
    try:
        connection.request("PURGE", path, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def served_from_varnish(response):
    # X-Varnish names this request and, on a hit, the request that stored the copy.
    return (
        response.headers["X-Edge-Cache"] == "HIT"
        and len(response.headers["X-Varnish"].split()) == 2
    )


@pytest.fixture
def case_study(demo_site):
    return BreachCaseStudyPage.objects.live().first()


class TestReaders:
    def test_the_second_request_is_served_by_varnish(self, edge, case_study):
        first = get(edge, case_study.url)
        assert first.status_code == 200
        assert first.headers["X-Edge-Cache"] == "MISS"
        second = get(edge, case_study.url)
        assert served_from_varnish(second)
        assert "Age" in second.headers
        assert second.text == first.text
        assert case_study.title in second.text
        # Browsers are still told the page depends on cookies.
        assert "Cookie" in second.headers["Vary"]

    def test_publishing_shows_the_new_page_at_once(self, edge, case_study):
        get(edge, case_study.url)
        get(edge, "/case-studies/")
        assert served_from_varnish(get(edge, case_study.url))

        case_study.title = "Renamed by an editor"
        case_study.save_revision().publish()

        page = get(edge, case_study.url)
        assert page.headers["X-Edge-Cache"] == "MISS"
        assert "Renamed by an editor" in page.text
        # The index lists it by title: purged with it.
        assert "Renamed by an editor" in get(edge, "/case-studies/").text

    def test_a_site_wide_change_empties_varnish(self, edge, demo_site, case_study):
        get(edge, case_study.url)
        site_settings = SiteSettings.objects.get(site=demo_site)
        site_settings.freephone = "0800 123 4567"
        site_settings.save()
        page = get(edge, case_study.url)
        assert page.headers["X-Edge-Cache"] == "MISS"
        assert "0800 123 4567" in page.text

    def test_a_reader_with_a_session_never_gets_the_shared_copy(self, edge, case_study):
        get(edge, case_study.url)
        assert served_from_varnish(get(edge, case_study.url))

        editor = get_user_model().objects.create_superuser("editor", "e@example.test", "pw")
        client = Client()
        client.force_login(editor)
        session = {"sessionid": client.cookies["sessionid"].value}
        for _ in range(2):
            page = get(edge, case_study.url, cookies=session)
            assert page.headers["X-Edge-Cache"] == "PASS"
            assert len(page.headers["X-Varnish"].split()) == 1
            # The editor's own page: Wagtail's user bar, which the shared copy never has.
            assert "wagtail-userbar" in page.text
        assert "wagtail-userbar" not in get(edge, case_study.url).text

    def test_the_flash_message_cookie_passes(self, edge, case_study):
        get(edge, case_study.url)
        page = get(edge, case_study.url, cookies={"messages": "abc"})
        assert page.headers["X-Edge-Cache"] == "PASS"

    def test_readers_of_different_consent_choices_never_share_a_copy(self, edge, case_study):
        accepted = {"cookie_consent": '"analytics=2024-01-01|marketing=2024-01-01"'}
        declined = {"cookie_consent": '"analytics=-1|marketing=-1"'}
        assert get(edge, case_study.url, cookies=accepted).headers["X-Edge-Cache"] == "MISS"
        assert get(edge, case_study.url, cookies=declined).headers["X-Edge-Cache"] == "MISS"
        # Other cookies (analytics) do not split the cache.
        again = get(edge, case_study.url, cookies={**accepted, "_ga": "GA1.2.3"})
        assert served_from_varnish(again)
        # A value of another shape is nobody's to share.
        odd = get(edge, case_study.url, cookies={"cookie_consent": "<script>"})
        assert odd.headers["X-Edge-Cache"] == "PASS"

    def test_campaign_parameters_get_the_plain_copy(self, edge, case_study):
        get(edge, case_study.url)
        tracked = get(edge, case_study.url + "?utm_source=news&gclid=abc")
        assert served_from_varnish(tracked)

    def test_the_scheme_the_terminator_saw_splits_the_cache(self, edge, case_study):
        get(edge, case_study.url)
        secure = get(edge, case_study.url, headers={"X-Forwarded-Proto": "https"})
        assert secure.headers["X-Edge-Cache"] == "MISS"
        assert served_from_varnish(get(edge, case_study.url))

    def test_a_post_reaches_the_app(self, edge, case_study):
        get(edge, case_study.url)
        answer = requests.post(
            edge.url + case_study.url,
            headers={"Host": HOST},
            data={"a": "b"},
            allow_redirects=False,
            timeout=30,
        )
        # The app's own answer (its CSRF check refuses a post without a token), not the copy.
        assert answer.status_code == 403
        assert answer.headers["X-Edge-Cache"] == "PASS"

    @pytest.mark.parametrize("path", ["/admin/login/", "/search/?q=bank", "/cookies/"])
    def test_paths_the_page_cache_skips_are_never_stored(self, edge, path):
        for _ in range(2):
            answer = get(edge, path)
            assert answer.status_code == 200, path
            assert answer.headers["X-Edge-Cache"] == "PASS", path


class TestPurging:
    def test_purge_from_an_app_server_forgets_every_variant_of_the_path(self, edge, case_study):
        get(edge, case_study.url)
        get(edge, case_study.url + "?page=2")
        assert purge(edge, case_study.url).status == 200
        assert get(edge, case_study.url).headers["X-Edge-Cache"] == "MISS"
        assert get(edge, case_study.url + "?page=2").headers["X-Edge-Cache"] == "MISS"

    def test_purge_from_another_address_is_refused(self, edge, case_study):
        get(edge, case_study.url)
        # 127.0.0.2 is this machine too, but not in site.vcl's `purgers` list.
        assert purge(edge, case_study.url, source="127.0.0.2").status == 403
        assert served_from_varnish(get(edge, case_study.url))

    def test_purge_that_came_through_another_proxy_is_refused(self, edge, case_study):
        get(edge, case_study.url)
        forwarded = purge(edge, case_study.url, headers={"X-Forwarded-For": "203.0.113.9"})
        assert forwarded.status == 403
        assert served_from_varnish(get(edge, case_study.url))
