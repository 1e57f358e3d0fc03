"""The case study page rendered without the page cache (a reader the cache cannot serve: a
new query string, a bypass) reuses its shared fragments, and they never go stale or leak
a draft: they are purged exactly when a cached copy of the page would be."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breaches.models import BreachCaseStudyPage, BreachType

# The page itself (1): the site, its home page, the settings, the view restrictions and the
# pages on the path come from the site snapshot (home/page_cache/snapshot.py), the rest from
# fragments.
UNCACHED_BUDGET = 1


@pytest.fixture(autouse=True)
def _bypassed(settings):
    # Every page rendered (no path served from the page cache), fragments and snapshot on.
    settings.PAGE_CACHE_ENABLED = True
    settings.PAGE_CACHE_SKIP_PATHS = ("/",)


def _without_token(html):
    return re.sub(r'name="token" value="[^"]*"', "", html)


def _render(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["X-Cache"] == "BYPASS"
    return response.content.decode()


@pytest.mark.django_db
class TestFragments:
    def test_uncached_page_costs_a_small_constant_number_of_queries(
        self, client, index, case_study_factory, small_image
    ):
        types = list(BreachType.objects.all()[:3])
        others = [case_study_factory(hero_image=small_image, breach_types=types) for _ in range(3)]
        page = case_study_factory(
            hero_image=small_image, breach_types=types, sources=12, related=others
        )
        first = _render(client, page.url)
        with CaptureQueriesContext(connection) as queries:
            second = _render(client, page.url)
        assert len(queries) <= UNCACHED_BUDGET
        # The same page a reader gets from a full render (but for the form token's time).
        assert _without_token(second) == _without_token(first)
        assert second.count('<li id="source-') == 12
        assert second.count('class="card case-card"') == 3

    def test_publishing_the_page_replaces_its_fragment(self, client, index):
        page = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        _render(client, page.url)
        page.summary = "A rewritten summary the reader must see at once."
        page.save_revision().publish()
        assert "A rewritten summary the reader must see at once." in _render(client, page.url)

    def test_a_related_post_renamed_or_unpublished_is_not_kept(self, client, index):
        wmp = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        harbourline = BreachCaseStudyPage.objects.get(slug="harbourline-bank-staff-snooping")
        assert f'href="{harbourline.url}"' in _render(client, wmp.url)
        harbourline.title = "Harbourline Bank, renamed"
        harbourline.save_revision().publish()
        assert "Harbourline Bank, renamed" in _render(client, wmp.url)
        BreachCaseStudyPage.objects.get(pk=harbourline.pk).unpublish()
        assert f'href="{harbourline.url}"' not in _render(client, wmp.url)

    def test_editing_a_breach_type_snippet_shows_at_once(self, client, index):
        page = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        _render(client, page.url)
        breach_type = page.breach_types.first()
        breach_type.name = "Renamed breach type"
        breach_type.save()
        assert "Renamed breach type" in _render(client, page.url)

    def test_a_preview_shows_the_draft_not_the_fragment(self, client, index):
        page = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        live_summary = page.summary
        _render(client, page.url)
        page.summary = "An unpublished draft summary."
        preview = page.make_preview_request().render().content.decode()
        assert "An unpublished draft summary." in preview
        # ...and the draft never reaches readers through the fragment.
        html = _render(client, page.url)
        assert "An unpublished draft summary." not in html
        assert live_summary[:40] in html

    def test_logged_in_editors_do_not_use_or_fill_fragments(self, client, index, django_user_model):
        page = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        _render(client, page.url)
        # Changed without any purge (as a draft being written would be): the fragment stays...
        BreachCaseStudyPage.objects.filter(pk=page.pk).update(
            summary="Changed behind the cache's back."
        )
        assert "Changed behind the cache's back." not in _render(client, page.url)
        # ...but a logged-in user always gets a full render.
        client.force_login(django_user_model.objects.create_user("reader-editor", password="x"))
        assert "Changed behind the cache's back." in client.get(page.url).content.decode()
