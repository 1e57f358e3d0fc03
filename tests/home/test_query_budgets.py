"""Query budgets for the site shell's pages, rendered uncached for an anonymous reader.

The counts are what the pages cost today (Wagtail's routing is one query per URL segment);
a change that adds queries per item in a list shows up here before it shows up in `make bench`.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from home.models import StandardPage


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.PAGE_CACHE_ENABLED = False


def _queries(path):
    client = Client()
    client.get(path)  # per-process caches (site root paths) warm, as in a running server
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _add_children(parent, count, prefix):
    for i in range(count):
        child = StandardPage(title=f"{prefix} {i}", slug=f"{prefix}-{i}", show_in_menus=True)
        parent.add_child(instance=child)
        child.save_revision().publish()


@pytest.mark.django_db
class TestQueryBudgets:
    def test_home_page(self, demo_site):
        # 8 for the shell, 6 for the case-study highlights (restrictions, cards, types, images,
        # renditions, the index link); tests/breaches checks they stay fixed as studies grow.
        assert _queries("/") <= 14

    def test_standard_page(self, demo_site):
        assert _queries("/about/") <= 9

    def test_pages_cost_the_same_however_many_pages_the_site_has(self, demo_site):
        about = StandardPage.objects.get(slug="about")
        home = about.get_parent()
        before = (_queries("/"), _queries("/about/"))
        _add_children(about, 15, "child")
        _add_children(home, 10, "section")
        assert (_queries("/"), _queries("/about/")) == before

    def test_a_cached_page_costs_no_query(self, demo_site, settings):
        settings.PAGE_CACHE_ENABLED = True
        Client().get("/about/")
        with CaptureQueriesContext(connection) as captured:
            response = Client().get("/about/")
        assert response["X-Cache"] == "HIT"
        assert len(captured.captured_queries) == 0
