import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breaches.models import CASE_STUDIES_PER_PAGE, BreachType
from tests.breaches.conftest import make_breach_types


def _titles(html):
    return re.findall(r'<h2 class="case-card__title"><a href="[^"]*">([^<]*)</a>', html)


@pytest.mark.django_db
class TestIndexListing:
    def test_newest_first(self, client, index_alone, case_study_factory):
        case_study_factory(title="Middle", published_date=datetime.date(2023, 1, 1))
        case_study_factory(title="Newest", published_date=datetime.date(2025, 1, 1))
        case_study_factory(title="Oldest", published_date=datetime.date(2021, 1, 1))
        case_study_factory(title="Draft", publish=False)
        html = client.get("/case-studies/").content.decode()
        assert _titles(html) == ["Newest", "Middle", "Oldest"]
        assert "3 case studies" in html

    def test_demo_index_lives_at_case_studies(self, client, index):
        response = client.get("/case-studies/")
        assert response.status_code == 200
        assert "West Midlands Police data breaches over the years" in response.content.decode()


@pytest.mark.django_db
class TestFilters:
    @pytest.fixture
    def corpus(self, index_alone, case_study_factory):
        from tests.database_state import made_once

        def publish_three():
            lost, email = make_breach_types(2)
            case_study_factory(
                title="Police lost 2016", sector="police", period_start=2016, breach_types=[lost]
            )
            case_study_factory(
                title="Police email 2018-2020",
                sector="police",
                period_start=2018,
                period_end=2020,
                breach_types=[email],
            )
            case_study_factory(
                title="Council both 2019",
                sector="council",
                period_start=2019,
                breach_types=[lost, email],
            )
            return lost.pk, email.pk

        made = made_once("breaches: three case studies to filter", publish_three)
        return tuple(BreachType.objects.get(pk=pk) for pk in made)

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("sector=police", {"Police lost 2016", "Police email 2018-2020"}),
            ("year=2019", {"Police email 2018-2020", "Council both 2019"}),
            ("year=2016", {"Police lost 2016"}),
            ("year=2017", set()),
            ("sector=police&year=2019", {"Police email 2018-2020"}),
            ("sector=council&year=2016", set()),
        ],
    )
    def test_sector_and_year(self, client, corpus, query, expected):
        html = client.get(f"/case-studies/?{query}").content.decode()
        assert set(_titles(html)) == expected
        if not expected:
            assert "No case studies match these filters." in html

    def test_type_combined_with_sector_and_year(self, client, corpus):
        lost, email = corpus
        html = client.get(f"/case-studies/?type={lost.slug}").content.decode()
        assert set(_titles(html)) == {"Police lost 2016", "Council both 2019"}
        html = client.get(f"/case-studies/?type={email.slug}&sector=police").content.decode()
        assert _titles(html) == ["Police email 2018-2020"]
        html = client.get(f"/case-studies/?type={email.slug}&sector=council&year=2019")
        assert _titles(html.content.decode()) == ["Council both 2019"]

    def test_chosen_filters_are_selected_in_the_form(self, client, corpus):
        lost, _ = corpus
        html = client.get(f"/case-studies/?type={lost.slug}&sector=police&year=2016")
        html = html.content.decode()
        assert f'<option value="{lost.slug}" selected>' in html
        assert '<option value="police" selected>' in html
        assert '<option value="2016" selected>' in html
        assert html.count(" selected>") == 3
        assert 'content="noindex, follow"' in html
        assert '<label for="filter-type">Breach type</label>' in html

    def test_a_breach_type_name_is_escaped_in_its_option(self, client, corpus):
        odd = BreachType.objects.create(name='Loss & "theft" <b>')
        html = client.get("/case-studies/").content.decode()
        assert f'<option value="{odd.slug}">Loss &amp; &quot;theft&quot; &lt;b&gt;</option>' in html
        assert " selected>" not in html

    @pytest.mark.parametrize(
        "query",
        [
            "type=no-such-type",
            "sector=martians",
            "year=abcd",
            "year=99999999999999999999",
            "year=-1",
            "type=%00&sector=%27%20OR%201%3D1--",
            "type[]=x&sector=&year=",
        ],
    )
    def test_unknown_filter_values_are_ignored_not_errors(self, client, corpus, query):
        response = client.get(f"/case-studies/?{query}")
        assert response.status_code == 200
        assert len(_titles(response.content.decode())) >= 2


@pytest.mark.django_db
class TestPagination:
    @pytest.fixture
    def many(self, index_alone, case_study_factory):
        from tests.database_state import made_once

        def publish_many():
            for n in range(CASE_STUDIES_PER_PAGE + 3):
                case_study_factory(
                    title=f"Study {n:02d}",
                    published_date=datetime.date(2020, 1, 1) + datetime.timedelta(n),
                )

        made_once("breaches: more case studies than a page holds", publish_many)

    def test_second_page_holds_the_rest(self, client, many):
        html = client.get("/case-studies/?page=2").content.decode()
        assert _titles(html) == ["Study 02", "Study 01", "Study 00"]
        assert 'rel="prev" href="?page=1"' in html
        assert "page 2 of 2" in html

    @pytest.mark.parametrize(
        ("value", "shown_page"),
        [("abc", 1), ("0", 2), ("-3", 2), ("999", 2), ("1.5", 1), ("%00", 1), ("", 1)],
    )
    def test_bad_page_numbers_fall_back(self, client, many, value, shown_page):
        response = client.get(f"/case-studies/?page={value}")
        assert response.status_code == 200
        html = response.content.decode()
        assert (
            f'aria-current="page"><span class="visually-hidden">Page </span>{shown_page}<' in html
        )

    def test_filters_survive_page_links(self, client, many):
        html = client.get("/case-studies/?sector=council").content.decode()
        assert 'href="?sector=council&amp;page=2"' in html


def _count_queries(client, url):
    client.get(url)  # first render makes image renditions; count the steady state
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.django_db
class TestQueryBudgets:
    """Rendered uncached: a page-cache hit costs no query and would prove nothing."""

    LISTING_BUDGET = 20

    @pytest.fixture(autouse=True)
    def _uncached(self, settings):
        settings.PAGE_CACHE_ENABLED = False

    DETAIL_BUDGET = 22

    def _studies(self, case_study_factory, count, image, types):
        return [
            case_study_factory(hero_image=image, breach_types=types, sources=2)
            for _ in range(count)
        ]

    def test_listing_costs_the_same_for_3_or_30_case_studies(
        self, client, index_alone, case_study_factory, small_image
    ):
        types = make_breach_types(3)
        self._studies(case_study_factory, 3, small_image, types)
        few, html = _count_queries(client, "/case-studies/")
        assert len(_titles(html)) == 3
        self._studies(case_study_factory, 27, small_image, make_breach_types(5))
        BreachType.objects.create(name="Another")
        many, html = _count_queries(client, "/case-studies/")
        assert len(_titles(html)) == CASE_STUDIES_PER_PAGE
        assert many == few
        assert many <= self.LISTING_BUDGET
        filtered, _ = _count_queries(client, f"/case-studies/?type={types[0].slug}&year=2020")
        assert filtered <= self.LISTING_BUDGET

    def test_case_study_costs_the_same_whatever_it_links_to(
        self, client, index_alone, case_study_factory, small_image
    ):
        few_types = make_breach_types(1)
        others = [case_study_factory(hero_image=small_image, breach_types=few_types)]
        small = case_study_factory(
            hero_image=small_image, breach_types=few_types, sources=1, related=others[:1]
        )
        few, _ = _count_queries(client, small.url)

        many_types = make_breach_types(30)
        others = [
            case_study_factory(hero_image=small_image, breach_types=many_types) for _ in range(30)
        ]
        big = case_study_factory(
            hero_image=small_image, breach_types=many_types, sources=30, related=others[:3]
        )
        many, html = _count_queries(client, big.url)
        assert html.count('<li id="source-') == 30
        assert html.count('class="card case-card"') == 3
        # Three picks fill every place, so the automatic query is not even needed.
        assert many <= few <= self.DETAIL_BUDGET

        auto = case_study_factory(hero_image=small_image, breach_types=many_types, sources=30)
        auto_count, html = _count_queries(client, auto.url)
        assert html.count('class="card case-card"') == 3
        assert auto_count == few

    def test_home_page_lists_case_studies_in_fixed_queries(
        self, client, index_alone, case_study_factory, small_image
    ):
        self._studies(case_study_factory, 3, small_image, make_breach_types(2))
        case_study_factory(title="First featured", featured=True, hero_image=small_image)
        few, _ = _count_queries(client, "/")
        self._studies(case_study_factory, 30, small_image, make_breach_types(4))
        for n in range(5):
            case_study_factory(title=f"Featured {n}", featured=True, hero_image=small_image)
        many, html = _count_queries(client, "/")
        assert "Featured 4" in html
        assert many == few
