"""The site snapshot (home/page_cache/snapshot.py): pages rendered outside the page cache skip the
lookups of the site, its home page, the site settings, the view restrictions and the pages on
the path, yet never show anything stale: each change below is seen by the very next request,
in this process and in another one sharing the same Redis."""

import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from breaches.models import BreachCaseStudyPage, BreachIndexPage
from home.models import SiteSettings, StandardPage
from tests.home.redis_processes import in_other_process

CASE_STUDY = "/case-studies/west-midlands-police-data-breaches/"


@pytest.fixture(autouse=True)
def _cached(settings):
    settings.PAGE_CACHE_ENABLED = True


# Rendered by a server the page cache does not serve from (every path skipped), with the
# shared fragments and the site snapshot a running server has; "cold": by one with the page
# cache and the snapshot off, so without either, as a freshly started process renders a page.
RENDERED = {"PAGE_CACHE_SKIP_PATHS": ("/",)}
COLD = {"PAGE_CACHE_ENABLED": False, "PAGE_CACHE_SNAPSHOT_ENABLED": False}


def render(path, cold=False):
    with override_settings(**(COLD if cold else RENDERED)):
        response = Client().get(path)
    assert response["X-Cache"] == "BYPASS"
    return response


def body(path, cold=False):
    response = render(path, cold)
    assert response.status_code == 200
    return response.content.decode()


def title(path):
    return re.search(r"<title>(.*?)</title>", body(path), re.S).group(1)


def queries(path):
    render(path)  # the snapshot and the fragments warm, as in a running server
    with CaptureQueriesContext(connection) as captured:
        assert render(path).status_code == 200
    return len(captured)


def without_token(html):
    return re.sub(r'name="token" value="[^"]*"', "", html)


@pytest.mark.django_db
class TestQueries:
    def test_a_page_rendered_outside_the_cache_costs_only_its_own_query(self, demo_site):
        # The case study and the standard page: the page itself. The home page is the
        # snapshot's. The index: the count and the page of results.
        assert queries(CASE_STUDY) <= 1
        assert queries("/about/") <= 1
        assert queries("/") == 0
        assert queries("/case-studies/?sector=police") <= 2

    def test_a_cold_render_shows_exactly_the_same_page(self, demo_site):
        for path in (CASE_STUDY, "/", "/about/", "/case-studies/?sector=police"):
            warm = (body(path), body(path))[1]
            with CaptureQueriesContext(connection) as cold_queries:
                cold = body(path, cold=True)
            assert len(cold_queries) > 1, path
            assert without_token(cold) == without_token(warm), path


@pytest.mark.django_db
class TestNeverStale:
    def test_site_settings_edited(self, demo_site):
        assert "Example Claims" not in title("/about/")
        site_settings = SiteSettings.objects.get()
        site_settings.firm_name = "Example Claims"
        site_settings.save()
        assert title("/about/").endswith("| Example Claims")

    def test_a_view_restriction_on_an_ancestor_hides_the_page_at_once(self, demo_site):
        assert "case-study__body" in body(CASE_STUDY)
        index = BreachIndexPage.objects.get()
        restriction = PageViewRestriction.objects.create(
            page=index, restriction_type=PageViewRestriction.PASSWORD, password="letmein"
        )
        html = body(CASE_STUDY)
        assert 'name="password"' in html
        assert "case-study__body" not in html
        restriction.delete()
        assert "case-study__body" in body(CASE_STUDY)

    def test_a_restricted_case_study_leaves_the_listing_at_once(self, demo_site):
        page = BreachCaseStudyPage.objects.get(
            url_path__endswith="/west-midlands-police-data-breaches/"
        )
        assert f'href="{page.url}"' in body("/case-studies/")
        PageViewRestriction.objects.create(page=page, restriction_type="login")
        assert f'href="{page.url}"' not in body("/case-studies/")

    def test_a_restricted_case_study_leaves_the_related_posts_at_once(self, demo_site):
        def related_links():
            html = body(CASE_STUDY)
            return re.findall(
                r'class="case-card__title"><a href="([^"]+)"',
                html[html.index('id="related-heading"') :],
            )

        first = related_links()[0]
        (page,) = [page for page in BreachCaseStudyPage.objects.live() if page.url == first]
        PageViewRestriction.objects.create(page=page, restriction_type="login")
        assert first not in related_links()

    def test_a_cached_page_is_not_served_once_restricted(self, demo_site):
        Client().get("/about/")
        assert Client().get("/about/")["X-Cache"] == "HIT"
        PageViewRestriction.objects.create(
            page=StandardPage.objects.get(slug="about"),
            restriction_type=PageViewRestriction.PASSWORD,
            password="letmein",
        )
        response = Client().get("/about/")
        assert response["X-Cache"] != "HIT"
        assert 'name="password"' in response.content.decode()

    def test_a_new_page_is_found_and_an_unpublished_one_is_not(self, demo_site):
        about = StandardPage.objects.get(slug="about")
        assert render("/about/team/").status_code == 404
        team = StandardPage(title="Our team", slug="team")
        about.add_child(instance=team)
        team.save_revision().publish()
        assert "Our team" in body("/about/team/")
        team.unpublish()
        assert render("/about/team/").status_code == 404

    def test_a_moved_page_is_served_at_its_new_address_only(self, demo_site):
        about = StandardPage.objects.get(slug="about")
        team = StandardPage(title="Our team", slug="team")
        about.add_child(instance=team)
        team.save_revision().publish()
        assert "Our team" in body("/about/team/")
        team.move(about.get_parent(), pos="last-child")
        assert "Our team" in body("/team/")
        old_address = render("/about/team/")  # Wagtail's automatic redirect, not the page
        assert (old_address.status_code, old_address["Location"]) == (301, "/team/")

    def test_the_home_page_published_shows_at_once(self, demo_site):
        home = Page.objects.get(depth=2).specific
        body("/")
        home.hero_heading = "A brand new heading for readers"
        home.save_revision().publish()
        assert "A brand new heading for readers" in body("/")

    def test_a_page_published_into_the_menu_shows_in_it_at_once(self, demo_site):
        home = Page.objects.get(depth=2)
        assert "Meet the claims team" not in body(CASE_STUDY)
        team = StandardPage(title="Meet the claims team", slug="team", show_in_menus=True)
        home.add_child(instance=team)
        team.save_revision().publish()
        assert '<a href="/team/">Meet the claims team</a>' in body(CASE_STUDY)
        team.unpublish()
        assert "Meet the claims team" not in body(CASE_STUDY)

    def test_a_renamed_index_shows_in_the_breadcrumbs_and_the_index_link_at_once(self, demo_site):
        body(CASE_STUDY), body("/")
        index = BreachIndexPage.objects.get()
        index.title = "Every breach we know of"
        index.save_revision().publish()
        crumbs = body(CASE_STUDY).split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
        assert "Every breach we know of" in crumbs
        index.slug = "breaches"
        index.save_revision().publish()
        assert 'href="/breaches/"' in body("/")


@pytest.mark.django_db
class TestNeverStaleWithThePageCacheOff(TestNeverStale):
    """The snapshot works with the page cache off (home/page_cache/conf.py): purges still
    replace the tokens it is kept under, so the same changes are seen at once."""

    @pytest.fixture(autouse=True)
    def _page_cache_off(self, settings):
        settings.PAGE_CACHE_ENABLED = False

    def test_the_snapshot_is_used(self, demo_site):
        assert queries("/about/") <= 1

    def test_a_cached_page_is_not_served_once_restricted(self, demo_site):
        # Nothing is page-cached here; the snapshot's copy of the restrictions must follow.
        assert "<h1>About us</h1>" in Client().get("/about/").content.decode()
        PageViewRestriction.objects.create(
            page=StandardPage.objects.get(slug="about"),
            restriction_type=PageViewRestriction.PASSWORD,
            password="letmein",
        )
        response = Client().get("/about/")
        assert 'name="password"' in response.content.decode()
        assert "<h1>About us</h1>" not in response.content.decode()


@pytest.mark.django_db
class TestSharedAcrossProcesses:
    def test_a_change_made_in_another_process_is_seen_on_the_next_request(
        self, demo_site, shared_redis
    ):
        before = title("/about/")
        # Another process's write: no signal reaches this one, only its purge through Redis.
        SiteSettings.objects.update(firm_name="Renamed Elsewhere Ltd")
        assert title("/about/") == before  # this process's snapshot still stands...
        in_other_process(shared_redis, "page_cache.purge_all()")
        assert title("/about/").endswith("| Renamed Elsewhere Ltd")  # ...until the purge

    def test_a_page_published_in_another_process_is_routed_at_once(self, demo_site, shared_redis):
        about = StandardPage.objects.get(slug="about")
        assert render("/about/team/").status_code == 404
        team = StandardPage(title="Our team", slug="team", live=False)
        about.add_child(instance=team)
        Page.objects.filter(pk=team.pk).update(live=True)  # published elsewhere
        in_other_process(shared_redis, "page_cache.purge_paths(['/about/team/', '/'])")
        assert "Our team" in body("/about/team/")
