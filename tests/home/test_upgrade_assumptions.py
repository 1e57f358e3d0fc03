"""What the page cache assumes about Django's and Wagtail's internals (home/page_cache/adapters/)
and about where Wagtail calls our overrides. After an upgrade, a failure here names the
assumption that broke and the module that relies on it."""

from unittest import mock

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from breaches.models import BreachCaseStudyPage
from home.models import HomePage, SiteSettings
from home.page_cache.adapters import django as django_adapter
from home.page_cache.adapters import wagtail as wagtail_adapter

WAGTAIL = "home/page_cache/adapters/wagtail.py relies on it"
DJANGO = "home/page_cache/adapters/django.py relies on it"


def _no_queries(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
    return result, len(captured)


@pytest.mark.django_db
class TestWagtail:
    def test_find_for_request_returns_the_site_the_request_was_given(self, rf, demo_site):
        request = rf.get("/", HTTP_HOST="unknown.example")
        wagtail_adapter.give_site(request, demo_site)
        found, queries = _no_queries(lambda: Site.find_for_request(request))
        assert found is demo_site and queries == 0, (
            "Wagtail's Site.find_for_request no longer returns the site memoised on "
            f"request._wagtail_site; {WAGTAIL}"
        )

    def test_page_urls_use_the_root_paths_the_request_was_given(self, rf, demo_site):
        request = rf.get("/")
        elsewhere = [
            root._replace(root_url="https://elsewhere.example")
            for root in Site.get_site_root_paths()
        ]
        wagtail_adapter.give_site_root_paths(request, elsewhere)
        about = Page.objects.get(slug="about")
        url, _queries = _no_queries(lambda: about.get_full_url(request))
        assert url == "https://elsewhere.example/about/", (
            "Wagtail's page URLs no longer read the site root paths cached on "
            f"request._wagtail_cached_site_root_paths; {WAGTAIL}"
        )

    def test_for_request_returns_the_settings_the_request_was_given(self, rf, demo_site):
        request = rf.get("/")
        site_settings = SiteSettings.base_queryset().get(site=demo_site)
        site_settings.firm_name = "Given, not fetched"
        wagtail_adapter.give_site_setting(request, site_settings)
        found, queries = _no_queries(lambda: SiteSettings.for_request(request))
        assert found is site_settings and queries == 0, (
            "Wagtail's BaseSiteSetting.for_request no longer returns the instance held on the "
            f"request under get_cache_attr_name(); {WAGTAIL}"
        )
        assert getattr(found, "_request", None) is request, (
            "BaseSiteSetting.for_request no longer gives its instance the request as "
            f"`_request`; {WAGTAIL}"
        )

    def test_serving_a_page_routes_through_the_home_pages_route(self, demo_site, settings):
        settings.PAGE_CACHE_ENABLED = False
        original = HomePage.route
        with mock.patch.object(HomePage, "route", autospec=True, side_effect=original) as route:
            assert Client().get("/about/").status_code == 200
        assert route.called, (
            "Wagtail no longer routes a request through the site root page's route(); "
            "HomePage.route (home/page_cache/routing.py) relies on it"
        )


class TestDjango:
    def test_the_redis_backend_hands_out_its_redis_py_client(self):
        backend = RedisCache("redis://127.0.0.1:6379/7", {})
        try:
            client = django_adapter.redis_client(backend, write=True)
        except AttributeError as error:
            pytest.fail(
                f"Django's RedisCache no longer has _cache.get_client() ({error}); {DJANGO}"
            )
        assert isinstance(client, redis.Redis), (
            f"Django's RedisCache._cache.get_client() no longer returns a redis.Redis; {DJANGO}"
        )
        assert client.connection_pool.connection_kwargs.get("db") == 7, (
            f"Django's RedisCache._cache.get_client() no longer uses the cache's LOCATION; {DJANGO}"
        )

    @pytest.mark.django_db
    def test_the_compiler_selects_one_column_per_concrete_field(self, demo_site):
        for model in (HomePage, BreachCaseStudyPage):
            try:
                plan = django_adapter.PrecompiledGet(model, "default")
            except (AttributeError, TypeError, ValueError) as error:
                pytest.fail(
                    "Django's SQLCompiler no longer offers as_sql(), select as "
                    f"(column, sql, alias) with column.target, or get_converters() ({error}); "
                    f"{DJANGO}"
                )
            assert plan.attnames == [f.attname for f in model._meta.concrete_fields], (
                "Django's compiler no longer selects a model's concrete fields in _meta order; "
                f"{DJANGO}"
            )


@pytest.mark.django_db
def test_a_querysets_compiled_sql_is_the_query_it_runs(demo_site):
    queryset = Page.objects.filter(depth=3).exclude(slug="about").order_by("path")
    try:
        sql, params = django_adapter.compiled_sql(queryset)
    except AttributeError as error:
        pytest.fail(
            f"Django's Query.get_compiler() or SQLCompiler.as_sql() has changed ({error}); "
            f"{DJANGO} (home/page_cache/prepared.py)"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    assert ids == [page.pk for page in queryset], (
        f"SQLCompiler.as_sql() no longer gives the SQL a queryset runs; {DJANGO}"
    )


@pytest.mark.django_db
def test_compiled_rows_build_the_instances_the_orms_iterator_builds(demo_site):
    queryset = (
        Page.objects.filter(depth__gte=2)
        .defer("search_description")
        .select_related("content_type")
        .annotate(below=F("depth") - 1)
        .order_by("path")
    )
    try:
        rows = django_adapter.CompiledRows(queryset)
        built = rows.run(rows.params)
    except (AttributeError, KeyError, TypeError, ImportError) as error:
        pytest.fail(
            "Django's compiler no longer offers select, klass_info, annotation_col_map and "
            f"get_converters() after as_sql(), or get_related_populators() ({error}); "
            f"{DJANGO} (home/page_cache/prepared.py)"
        )
    expected = list(queryset)
    with CaptureQueriesContext(connection) as captured:
        seen = [(p.pk, p.title, p.below, p.content_type.model) for p in built]
    assert seen == [(p.pk, p.title, p.below, p.content_type.model) for p in expected], (
        f"CompiledRows no longer builds what ModelIterable builds; {DJANGO}"
    )
    assert len(captured) == 0 and built[0].get_deferred_fields() == {"search_description"}
