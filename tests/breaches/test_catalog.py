"""The catalog (breaches/catalog.py): the pages that list case studies choose them without a
query, and what they choose follows every publish, unpublish and view restriction at once,
in a process that keeps its site snapshot between requests."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from breaches.catalog import build
from breaches.models import BreachCaseStudyPage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cold_render")]


def _index_titles(query=None):
    html = Client().get("/case-studies/", query or {}).content.decode()
    return re.findall(r'class="case-card__title"><a href="[^"]*">([^<]*)</a>', html)


def _count_line(query=None):
    html = Client().get("/case-studies/", query or {}).content.decode()
    return re.search(r'id="results-count">([^<]*)<', html).group(1)


def test_a_publish_an_unpublish_and_a_view_restriction_show_on_the_next_render(
    index_alone, case_study_factory
):
    case_study_factory(title="First", published_date=datetime.date(2024, 1, 1))
    assert _index_titles() == ["First"]  # the snapshot and its catalog are built here
    second = case_study_factory(title="Second", published_date=datetime.date(2024, 2, 1))
    assert _index_titles() == ["Second", "First"]
    assert _count_line() == "2 case studies."
    second.unpublish()
    assert _index_titles() == ["First"]
    first = BreachCaseStudyPage.objects.get(title="First")
    PageViewRestriction.objects.create(page=first, restriction_type="login")
    assert _index_titles() == []
    assert _count_line() == "0 case studies."


def test_a_year_matches_the_periods_that_cover_it(index_alone, case_study_factory):
    case_study_factory(title="Span", period_start=2015, period_end=2018)
    case_study_factory(title="Single", period_start=2016)
    case_study_factory(title="Before", period_start=2015)
    case_study_factory(title="Open", period_start=2014, period_end=None)
    assert sorted(_index_titles({"year": "2016"})) == ["Single", "Span"]
    assert sorted(_index_titles({"year": "2018"})) == ["Span"]
    assert sorted(_index_titles({"year": "2014"})) == ["Open"]


def test_the_same_day_keeps_one_order_newest_publication_first(index_alone, case_study_factory):
    day = datetime.date(2024, 5, 1)
    for name in ("One", "Two", "Three"):
        case_study_factory(title=name, published_date=day)
    # first_published_at, then the id, break the tie: the last published is listed first.
    assert _index_titles() == ["Three", "Two", "One"]


def test_home_highlights_leave_out_private_and_unpublished_case_studies(
    index_alone, case_study_factory
):
    private = case_study_factory(title="Private featured", featured=True)
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    case_study_factory(title="Draft featured", featured=True, publish=False)
    case_study_factory(title="Public featured", featured=True)
    case_study_factory(title="Plain")
    html = Client().get("/").content.decode()
    assert "Public featured" in html and "Plain" in html
    assert "Private featured" not in html and "Draft featured" not in html


def test_the_catalog_is_built_once_per_snapshot_not_per_page(index_alone, case_study_factory):
    pages = [case_study_factory(title=f"Study {n}") for n in range(3)]
    Client().get(pages[0].url)
    with CaptureQueriesContext(connection) as captured:
        for page in pages[1:]:
            assert Client().get(page.url).status_code == 200
        assert Client().get("/case-studies/").status_code == 200
        assert Client().get("/").status_code == 200
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "breaches_relatedcasestudy" not in sql  # the picks come with the catalog
    assert "COUNT(" not in sql.upper()  # and the index's count


def test_built_from_the_database_it_lists_what_the_orm_lists(index_alone, case_study_factory):
    hidden = case_study_factory(title="Hidden")
    PageViewRestriction.objects.create(page=hidden, restriction_type="login")
    case_study_factory(title="Draft", publish=False)
    shown = [case_study_factory(title=f"Shown {n}") for n in range(3)]
    expected = list(
        BreachCaseStudyPage.objects.live()
        .public()
        .order_by("-published_date", "-first_published_at", "-pk")
        .values_list("pk", flat=True)
    )
    catalog = build()
    assert catalog.listed() == expected == [page.pk for page in reversed(shown)]


def test_related_case_studies_match_a_plain_sort_of_every_candidate(
    index_alone, case_study_factory
):
    """The catalog's merge against the rule written as one sort over every case study: picks
    in order, then sharing a type and the sector, a type, the sector; newest first."""
    from tests.breaches.conftest import make_breach_types

    kinds = make_breach_types(4)
    sectors = ("police", "health", "retail")
    pages = []
    for n in range(18):
        pages.append(
            case_study_factory(
                title=f"Study {n}",
                breach_types=[kinds[n % 4], kinds[(n * 3) % 4]],
                sector=sectors[n % 3],
                published_date=datetime.date(2020, 1 + n % 12, 1 + n % 5),
                related=pages[n - 3 : n - 1] if n % 5 == 0 and n >= 3 else (),
            )
        )
    private = pages[4]
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    listed = [page for page in pages if page.pk != private.pk]

    def expected(page):
        types = {kind.pk for kind in page.breach_types.all()}
        picks = [link.related_page_id for link in page.related_links.order_by("sort_order")]

        def key(other):
            return (
                picks.index(other.pk) if other.pk in picks else len(picks),
                not types & {kind.pk for kind in other.breach_types.all()},
                other.sector != page.sector,
                -other.published_date.toordinal(),
                -other.first_published_at.timestamp(),
                -other.pk,
            )

        candidates = [
            other
            for other in listed
            if other.pk != page.pk
            and (
                other.pk in picks
                or types & {kind.pk for kind in other.breach_types.all()}
                or other.sector == page.sector
            )
        ]
        return [other.title for other in sorted(candidates, key=key)[:3]]

    for page in pages:
        page = BreachCaseStudyPage.objects.get(pk=page.pk)
        assert [card.title for card in page.get_related_posts()] == expected(page), page.title
