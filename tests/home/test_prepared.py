"""Querysets compiled once per site snapshot and run with other values
(home/page_cache/prepared.py): the same rows as the ORM, compiled again only with a new
snapshot, and the ORM itself wherever the SQL's shape depends on a value."""

import datetime

import pytest
from django.db.models import F
from django.http import HttpResponse
from django.test import RequestFactory
from wagtail.models import Page

from home.page_cache import prepared_list, purge_all
from home.page_cache.snapshot import SiteSnapshotMiddleware


def in_request(func):
    """func() while a page request's site snapshot is in force, as in a page's render."""
    result = {}

    def view(request):
        # Raised after the middleware has finished, so the snapshot never outlives the request.
        try:
            result["value"] = func()
        except Exception as error:  # noqa: BLE001 - re-raised below
            result["error"] = error
        return HttpResponse()

    SiteSnapshotMiddleware(view)(RequestFactory().get("/"))
    if "error" in result:
        raise result["error"]
    return result["value"]


class Builds:
    """A queryset of pages at one depth but one slug, counting how often it is built."""

    def __init__(self):
        self.calls = 0

    def __call__(self, depth, slug):
        self.calls += 1
        return Page.objects.filter(depth=depth).exclude(slug=slug).order_by("path")


def orm(depth, slug):
    return list(Page.objects.filter(depth=depth).exclude(slug=slug).order_by("path"))


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.PAGE_CACHE_ENABLED = False  # the snapshot works without it, as on the cold server


@pytest.mark.django_db
class TestPrepared:
    def test_same_pages_as_the_orm_for_each_value_from_one_compilation(self, demo_site):
        build = Builds()
        compiled = None
        for depth, slug in [(3, "about"), (3, "case-studies"), (2, "nothing"), (4, "x")]:
            found = in_request(
                lambda depth=depth, slug=slug: list(
                    prepared_list("pages", build, depth=depth, slug=slug)
                )
            )
            expected = orm(depth, slug)
            assert [page.pk for page in found] == [page.pk for page in expected]
            assert [page.title for page in found] == [page.title for page in expected]
            compiled = compiled or build.calls  # built (with stand-ins) by the first only
            assert build.calls == compiled

    def test_compiled_again_with_a_new_snapshot(self, demo_site):
        build = Builds()
        in_request(lambda: list(prepared_list("pages", build, depth=3, slug="about")))
        compiled = build.calls
        in_request(lambda: list(prepared_list("pages", build, depth=3, slug="about")))
        assert build.calls == compiled
        purge_all()  # what every site-wide change does: the snapshot is built again
        found = in_request(lambda: list(prepared_list("pages", build, depth=3, slug="about")))
        assert build.calls == 2 * compiled
        assert [page.pk for page in found] == [page.pk for page in orm(3, "about")]

    def test_a_value_the_sql_does_not_carry_leaves_the_query_to_the_orm(self, demo_site):
        def build(depth, slug):
            return Page.objects.filter(depth=depth).order_by("path")  # slug unused

        built = []

        def counted(**values):
            built.append(values)
            return build(**values)

        for _ in range(2):
            found = in_request(lambda: prepared_list("unused", counted, depth=3, slug="about"))
            assert found == list(Page.objects.filter(depth=3).order_by("path"))
        # Built for the stand-ins once, then by the ORM with the real values each time.
        assert built[-2:] == [{"depth": 3, "slug": "about"}] * 2

    def test_outside_a_request_the_orm_runs_it(self, demo_site):
        build = Builds()
        for _ in range(2):
            assert prepared_list("pages", build, depth=3, slug="about") == orm(3, "about")
        assert build.calls == 2

    def test_only_ints_and_strings_stand_in(self, demo_site):
        with pytest.raises(TypeError):
            in_request(
                lambda: prepared_list(
                    "dated",
                    lambda day: Page.objects.filter(latest_revision_created_at__date=day),
                    day=datetime.date(2024, 1, 1),
                )
            )

    def test_joined_rows_and_annotations_as_the_orm_gives_them(self, demo_site):
        def build(depth):
            return (
                Page.objects.filter(depth=depth)
                .select_related("content_type")
                .annotate(parent_depth=F("depth") - 1)
                .order_by("path")
            )

        found = in_request(lambda: prepared_list("joined", build, depth=3))
        expected = list(build(3))
        assert [(p.pk, p.parent_depth, p.content_type.model) for p in found] == [
            (p.pk, p.parent_depth, p.content_type.model) for p in expected
        ]
        assert (
            found and found[0].latest_revision_created_at == expected[0].latest_revision_created_at
        )
