"""HomePage.route finds pages below the home page in two queries; it must route exactly as
Wagtail does: live pages, 404s, routable pages' own sub-URLs (the case-study feed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site


@pytest.mark.django_db
class TestRouting:
    @pytest.fixture(autouse=True)
    def _uncached(self, settings):
        settings.PAGE_CACHE_ENABLED = False

    def test_every_live_page_routes_as_wagtail_would(self, rf, demo_site):
        site = Site.objects.get(is_default_site=True)
        home = site.root_page.specific
        checked = 0
        for page in Page.objects.live().filter(depth__gt=home.depth + 1):
            components = [c for c in page.url_path[len(home.url_path) :].split("/") if c]
            request = rf.get(page.url)
            ours = home.route(request, components)
            wagtails = Page.route(home, request, components)
            assert ours.page.pk == wagtails.page.pk == page.pk
            assert type(ours.page) is type(wagtails.page) is page.specific_class
            checked += 1
        assert checked >= 2

    def test_routing_costs_two_queries_at_any_depth(self, rf, demo_site):
        home = Site.objects.get(is_default_site=True).root_page.specific
        page = Page.objects.live().filter(depth__gt=home.depth + 1).order_by("-depth").first()
        components = [c for c in page.url_path[len(home.url_path) :].split("/") if c]
        assert len(components) >= 2
        with CaptureQueriesContext(connection) as queries:
            home.route(rf.get(page.url), components)
        assert len(queries) == 2

    def test_a_routable_pages_own_sub_url_still_works(self, client, demo_site):
        response = client.get("/case-studies/feed/")
        assert response.status_code == 200
        assert "rss" in response["Content-Type"] or b"<rss" in response.content

    def test_missing_and_unpublished_pages_are_404(self, client, demo_site):
        assert client.get("/case-studies/no-such-case/").status_code == 404
        assert client.get("/about/no-such-page/deeper/").status_code == 404
        page = Page.objects.live().filter(url_path__contains="/case-studies/").last()
        page.specific.unpublish()
        assert client.get(page.url_path.removeprefix("/home")).status_code == 404


@pytest.mark.django_db
class TestPageLoader:
    def test_a_loaded_page_equals_the_orms_in_every_field(self, demo_site):
        from home.page_cache.routing import load_page

        checked = set()
        for page in Page.objects.live().filter(depth__gt=1):
            model = page.specific_class
            ours, orms = load_page(model, page.pk), model.objects.get(pk=page.pk)
            assert type(ours) is model
            for field in model._meta.concrete_fields:
                assert getattr(ours, field.attname) == getattr(orms, field.attname), field.name
            if hasattr(orms, "body"):
                assert list(ours.body.raw_data) == list(orms.body.raw_data)
            assert not ours._state.adding and ours._state.db == "default"
            checked.add(model)
        assert len(checked) >= 4  # home, standard, index and case study pages

    def test_a_missing_page_raises_does_not_exist(self, demo_site):
        from breaches.models import BreachCaseStudyPage
        from home.page_cache.routing import load_page

        with pytest.raises(BreachCaseStudyPage.DoesNotExist):
            load_page(BreachCaseStudyPage, 987654)
