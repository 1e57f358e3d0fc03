"""What the edge (Varnish, a CDN) is told to purge, through Wagtail's frontend cache: the same
paths as the page cache's purge graph, once, after commit, whether or not Redis answers.

The backends here record the URLs Wagtail hands them (by dotted path in WAGTAILFRONTENDCACHE,
as a real backend is named); tests/home/test_edge_varnish.py sends them to a real varnishd.
"""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from wagtail.contrib.frontend_cache.backends import BaseBackend, CloudflareBackend
from wagtail.models import Page

from breaches.models import BreachCaseStudyPage
from cms.env import frontend_cache_from_env
from home.models import SiteSettings
from home.page_cache import purge_all, purge_paths
from home.page_cache.conf import DEFAULTS, TRACKING_PARAM_PREFIXES, TRACKING_PARAMS
from tests.edge_services import SITE_VCL
from tests.fault_services import free_port

ROOT = "http://testserver"


class RecordingBackend(BaseBackend):
    """Keeps every batch of URLs it is asked to purge."""

    batches = []

    def purge(self, url):
        self.purge_batch([url])

    def purge_batch(self, urls):
        self.batches.append(sorted(urls))


class RecordingCloudflare(CloudflareBackend):
    """Wagtail's Cloudflare backend, stopped before it calls Cloudflare's API."""

    batches = []

    def purge_batch(self, urls):
        self.batches.append(sorted(urls))


@pytest.fixture
def edge(settings):
    RecordingBackend.batches = []
    RecordingCloudflare.batches = []
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {"BACKEND": f"{__name__}.RecordingBackend"},
    }
    return RecordingBackend.batches


def sent(batches):
    return [url for batch in batches for url in batch]


@pytest.fixture
def case_study(demo_site):
    return BreachCaseStudyPage.objects.live().first()


@pytest.mark.django_db
class TestPurgeGraphReachesTheEdge:
    def test_publishing_purges_the_page_and_everything_showing_it_once(
        self, edge, case_study, django_capture_on_commit_callbacks
    ):
        case_study.title = "A new title"
        with django_capture_on_commit_callbacks(execute=True):
            case_study.save_revision().publish()

        urls = sent(edge)
        # Publishing arrives twice (page_published and the live page's post_save), and the page
        # cache purges at once and after commit: the edge still hears each URL once.
        assert len(urls) == len(set(urls))
        for path in (case_study.url, "/case-studies/", "/", "/sitemap.xml", "/case-studies/feed/"):
            assert ROOT + path in urls, path

    def test_nothing_reaches_the_edge_before_the_transaction_commits(
        self, edge, case_study, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            case_study.save_revision().publish()
            assert edge == []
        assert callbacks
        for callback in callbacks:
            callback()
        assert ROOT + case_study.url in sent(edge)

    def test_a_site_wide_change_bans_everything(
        self, edge, demo_site, django_capture_on_commit_callbacks
    ):
        site_settings = SiteSettings.objects.get(site=demo_site)
        with django_capture_on_commit_callbacks(execute=True):
            site_settings.save()
        assert edge == [[ROOT + "/*"]]

    def test_cloudflare_is_sent_every_live_page_for_a_site_wide_change(
        self, settings, edge, demo_site, django_capture_on_commit_callbacks
    ):
        settings.WAGTAILFRONTENDCACHE = {
            "varnish": {"BACKEND": f"{__name__}.RecordingBackend"},
            "cloudflare": {
                "BACKEND": f"{__name__}.RecordingCloudflare",
                "ZONEID": "zone",
                "BEARER_TOKEN": "token",
            },
        }
        with django_capture_on_commit_callbacks(execute=True):
            purge_all()

        # Varnish (and CloudFront) take the wildcard; Cloudflare's URL purge cannot.
        assert edge == [[ROOT + "/*"]]
        cloudflare = sent(RecordingCloudflare.batches)
        live = [page.url for page in Page.objects.live().filter(depth__gt=1).specific()]
        assert live
        for path in [*live, "/sitemap.xml", "/case-studies/feed/"]:
            assert ROOT + path in cloudflare, path
        assert ROOT + "/*" not in cloudflare

    def test_paths_are_sent_as_a_browser_writes_them(
        self, edge, demo_site, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            purge_paths(["/café/"])
        assert edge == [[ROOT + "/caf%C3%A9/"]]


@pytest.mark.django_db
def test_edge_purges_go_out_while_redis_is_down(
    edge, redis_cache, case_study, django_capture_on_commit_callbacks
):
    redis_cache.kill()
    with django_capture_on_commit_callbacks(execute=True):
        case_study.save_revision().publish()
    assert ROOT + case_study.url in sent(edge)
    with django_capture_on_commit_callbacks(execute=True):
        purge_all()
    assert edge[-1] == [ROOT + "/*"]


class TestFrontendCacheFromEnv:
    def test_unset_or_empty_is_no_edge(self):
        assert frontend_cache_from_env({}) == {}
        assert frontend_cache_from_env({"FRONTEND_CACHE_URL": " "}) == {}

    def test_varnish_and_a_cdn_together(self):
        backends = frontend_cache_from_env(
            {
                "FRONTEND_CACHE_URL": "http://127.0.0.1:6081, cloudflare://abc123",
                "CLOUDFLARE_API_TOKEN": "secret",
            }
        )
        assert backends == {
            "http-0": {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
                "LOCATION": "http://127.0.0.1:6081",
            },
            "cloudflare-1": {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
                "ZONEID": "abc123",
                "BEARER_TOKEN": "secret",
            },
        }

    def test_cloudfront(self):
        assert frontend_cache_from_env({"FRONTEND_CACHE_URL": "cloudfront://E2ABC"}) == {
            "cloudfront-0": {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudfrontBackend",
                "DISTRIBUTION_ID": "E2ABC",
            }
        }

    def test_cloudflare_without_a_token_stops_start_up(self):
        with pytest.raises(ImproperlyConfigured, match="CLOUDFLARE_API_TOKEN"):
            frontend_cache_from_env({"FRONTEND_CACHE_URL": "cloudflare://abc123"})

    def test_an_unknown_kind_names_the_variable(self):
        with pytest.raises(ImproperlyConfigured, match="FRONTEND_CACHE_URL"):
            frontend_cache_from_env({"FRONTEND_CACHE_URL": "varnish:6081"})


def test_site_vcl_follows_the_page_cache_rules():
    """site.vcl repeats the page cache's lists; a change to one must reach the other."""
    vcl = SITE_VCL.read_text()
    skip = re.search(r'req\.url ~ "\^/\(([^)]*)\)/"', vcl).group(1).split("|")
    assert sorted(f"/{name}/" for name in skip) == sorted(DEFAULTS["PAGE_CACHE_SKIP_PATHS"])
    for cookie in (settings.SESSION_COOKIE_NAME, *DEFAULTS["PAGE_CACHE_PRIVATE_COOKIES"]):
        assert f'cookie.isset("{cookie}")' in vcl
    for cookie in DEFAULTS["PAGE_CACHE_VARY_COOKIES"]:
        assert f'cookie.get("{cookie}")' in vcl
    tracked = re.search(r"\(\?<=\[\?&\]\)\(([^)]*)\)", vcl).group(1).split("|")
    assert sorted(tracked) == sorted(
        [f"{prefix}[^&=]*" for prefix in TRACKING_PARAM_PREFIXES] + list(TRACKING_PARAMS)
    )
    assert f"{{{DEFAULTS['PAGE_CACHE_MAX_QUERY_PARAMS']}}}" in vcl
    assert f".{{{DEFAULTS['PAGE_CACHE_MAX_QUERY_LENGTH'] + 1}}}" in vcl
    assert '.host = "127.0.0.1";' in vcl and '.port = "8000";' in vcl


@pytest.mark.django_db
def test_an_unreachable_edge_never_fails_a_publish(
    settings, case_study, django_capture_on_commit_callbacks
):
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": f"http://127.0.0.1:{free_port()}",
        }
    }
    case_study.title = "Published while Varnish is down"
    with django_capture_on_commit_callbacks(execute=True):
        case_study.save_revision().publish()
    case_study.refresh_from_db()
    assert case_study.title == "Published while Varnish is down"
    assert case_study.live
