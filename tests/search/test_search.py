import re

import pytest
from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.models import PageViewRestriction

from breaches.models import BreachCaseStudyPage, BreachType
from search.views import highlight, search_terms


def _results(html):
    listing = html.split('<ol class="search-results">', 1)
    if len(listing) == 1:
        return []
    return re.findall(r'<h2 class="case-card__title"><a href="[^"]*">([^<]*)</a>', listing[1])


def _promoted(html):
    listing = html.split('<ol class="search-results search-results--promoted">', 1)
    if len(listing) == 1:
        return []
    block = listing[1].split("</ol>", 1)[0]
    return re.findall(r'<h2 class="case-card__title"><a href="[^"]*">([^<]*)</a>', block)


def _get(client, **params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response.content.decode()


WMP = "West Midlands Police data breaches over the years"


def _publish_many(index, count, title, organisation):
    from tests.breaches.conftest import make_case_study

    for n in range(count):
        make_case_study(index, title=f"{title} {n}", organisation=organisation)


class TestQueryCleaning:
    @pytest.mark.parametrize(
        ("raw", "terms"),
        [
            ("West Midlands Police", "west midlands police"),
            ('"unpaired quote', "unpaired quote"),
            ("'; DROP TABLE pages;--", "drop table pages"),
            ("<script>alert(1)</script>", "script alert script"),
            ("100% NOT (lost OR stolen)*", "100 not lost or stolen"),
            ("!!! ??? %%% ___", ""),
            ("O'Brien's co-op", "o'brien's co-op"),
            ("a b c", ""),
        ],
    )
    def test_only_words_reach_the_backend(self, raw, terms):
        assert search_terms(raw) == terms

    def test_highlight_marks_words_and_escapes_the_rest(self):
        out = highlight("Police <b>email</b> & police records", "police email")
        assert out == (
            "<mark>Police</mark> &lt;b&gt;<mark>email</mark>&lt;/b&gt; &amp; "
            "<mark>police</mark> records"
        )


@pytest.mark.django_db
class TestSearchPage:
    def test_empty_query_suggests_breach_types_and_the_call_back(self, client, demo_site):
        html = _get(client)
        assert "<h1>Search case studies</h1>" in html
        assert "Browse by kind of breach" in html
        assert 'href="/case-studies/?type=lost-devices"' in html
        assert "Request a call back from our team" in html
        assert '<meta name="robots" content="noindex, follow">' in html
        assert Query.objects.count() == 0

    def test_results_are_noindex_with_count_and_details(self, client, demo_site):
        html = _get(client, q="west midlands police")
        assert '<meta name="robots" content="noindex, follow">' in html
        assert "1 result for “west midlands police”." in html
        assert _results(html) == [WMP]
        assert '<span class="case-card__org">West Midlands Police</span> · 2016' in html
        assert "<mark>West</mark> <mark>Midlands</mark> <mark>Police</mark>" in html
        assert "<li>Lost or stolen devices</li>" in html

    @pytest.mark.parametrize(
        ("query", "expected_first"),
        [
            ("west midlands police", WMP),
            ("police email breach", WMP),
            (
                "NHS",
                "Northmere Hospitals NHS Trust: appointment letters sent to the wrong patients",
            ),
            ("lost USB", "Fernhill Academy Trust: unencrypted laptop with pupil records stolen"),
            ("west mid", WMP),
            ("Harbourline", "Harbourline Bank: call-centre worker looked up customers' accounts"),
        ],
    )
    def test_readers_queries_find_the_right_case_study(
        self, client, demo_site, query, expected_first
    ):
        html = _get(client, q=query)
        results = _results(html)
        assert results, query
        assert results[0] == expected_first.replace("'", "&#x27;")

    def test_lost_usb_finds_every_lost_device_case(self, client, demo_site):
        results = _results(_get(client, q="lost USB"))
        assert WMP in results

    def test_filter_by_breach_type(self, client, demo_site):
        html = _get(client, q="police", type="lost-devices")
        assert _results(html) == [WMP]
        assert '<option value="lost-devices" selected>' in html
        html = _get(client, q="police", type="cyber-attack")
        assert _results(html) == []
        assert "No case studies match “police” in Cyber attack" in html
        assert 'href="/case-studies/?type=misdirected-post"' in html
        assert "Request a call back from our team" in html

    def test_a_new_or_renamed_breach_type_is_offered_at_once(self, client, demo_site):
        # The types are kept with the site snapshot; saving one must replace it.
        _get(client, q="police")
        kind = BreachType.objects.get(slug="lost-devices")
        kind.name = "Lost laptops and phones"
        kind.save()
        BreachType.objects.create(name="Pigeon post")
        html = _get(client, q="police")
        assert '<option value="lost-devices">Lost laptops and phones</option>' in html
        assert '<option value="pigeon-post">Pigeon post</option>' in html

    def test_unknown_breach_type_is_ignored(self, client, demo_site):
        assert _results(_get(client, q="west midlands police", type="nonsense")) == [WMP]

    def test_no_results_suggests_types_and_call_back(self, client, demo_site):
        html = _get(client, q="zzzqqq")
        assert "0 results for “zzzqqq”." in html
        assert "No case studies match “zzzqqq”" in html
        assert "Browse" not in html.split("No case studies match", 1)[0].split("<main", 1)[1]
        assert 'href="/case-studies/?type=insecure-email"' in html
        assert "Request a call back from our team" in html

    @pytest.mark.parametrize(
        "query",
        [
            "x" * 5000,
            "!!!",
            "%",
            "%%",
            "_",
            '"',
            '"unpaired quote',
            "'",
            "it's",
            "'; DROP TABLE wagtailcore_page;--",
            "1' OR '1'='1",
            "<script>alert(1)</script>",
            "</title><h1>hi</h1>",
            "AND OR NOT",
            "NEAR(police email)",
            "police*",
            "title:police",
            "(((",
            "\\",
            "\u0000",
            "police\u0000email",
            "west\x1bmidlands",
            "zażółć gęślą jaźń",
            "🙂",
            "police " * 300,
        ],
    )
    def test_hostile_queries_get_a_normal_page(self, client, demo_site, query):
        response = client.get("/search/", {"q": query, "page": "1"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>alert" not in html
        assert "<h1>hi</h1>" not in html

    def test_post_is_refused(self, client, demo_site):
        assert client.post("/search/", {"q": "police"}).status_code == 405


@pytest.mark.django_db
class TestOnlyPublishedPages:
    def test_unpublished_case_study_disappears(self, client, demo_site):
        page = BreachCaseStudyPage.objects.get(slug="harbourline-bank-staff-snooping")
        assert _results(_get(client, q="harbourline"))
        page.unpublish()
        assert _results(_get(client, q="harbourline")) == []

    def test_draft_changes_are_not_searchable(self, client, demo_site):
        page = BreachCaseStudyPage.objects.get(slug="harbourline-bank-staff-snooping")
        page.summary = "Quuxwidget appears only in a draft."
        page.save_revision()
        assert _results(_get(client, q="quuxwidget")) == []
        page.save_revision().publish()
        assert _results(_get(client, q="quuxwidget")) == [page.title.replace("'", "&#x27;")]

    def test_private_case_study_is_hidden(self, client, demo_site):
        page = BreachCaseStudyPage.objects.get(slug="skylark-mobile-open-database")
        PageViewRestriction.objects.create(page=page, restriction_type="login")
        assert _results(_get(client, q="skylark")) == []


@pytest.mark.django_db
class TestPromotionsAndHits:
    def test_promoted_result_first_and_not_repeated(self, client, demo_site):
        skylark = BreachCaseStudyPage.objects.get(slug="skylark-mobile-open-database")
        query = Query.get("data breach")
        SearchPromotion.objects.create(query=query, page=skylark, sort_order=0)
        SearchPromotion.objects.create(
            query=query,
            external_link_url="https://ico.org.uk/",
            external_link_text="The Information Commissioner's Office",
            description="The UK regulator.",
            sort_order=1,
        )
        html = _get(client, q="Data   Breach")
        assert _promoted(html) == [
            skylark.title,
            "The Information Commissioner&#x27;s Office",
        ]
        assert skylark.title not in _results(html)
        assert html.index("search-results--promoted") < html.index('<ol class="search-results">')

    def test_promotion_of_an_unpublished_page_is_not_shown(self, client, demo_site):
        skylark = BreachCaseStudyPage.objects.get(slug="skylark-mobile-open-database")
        SearchPromotion.objects.create(query=Query.get("mobile"), page=skylark, sort_order=0)
        skylark.unpublish()
        html = _get(client, q="mobile")
        assert _promoted(html) == []
        assert skylark.title not in html

    def test_every_search_is_counted_once(self, client, demo_site):
        _get(client, q="Lost USB")
        _get(client, q="lost   usb")
        _get(client, q="lost usb", page="2")  # turning a page is not a new search
        _get(client, q="   ")
        assert Query.get("lost usb").hits == 2
        assert list(Query.objects.values_list("query_string", flat=True)) == ["lost usb"]


@pytest.mark.django_db
class TestPagination:
    @pytest.fixture
    def many(self, index):
        from tests.database_state import made_once

        made_once(
            "search: 13 Zebracorp studies",
            lambda: _publish_many(index, 13, "Zebracorp study", "Zebracorp"),
        )

    def test_pages_of_ten(self, client, many):
        first = _get(client, q="zebracorp")
        assert "13 results for “zebracorp”" in first
        assert len(_results(first)) == 10
        second = _get(client, q="zebracorp", page="2")
        assert len(_results(second)) == 3
        assert 'href="?q=zebracorp&amp;page=1"' in second

    @pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "2.5", ""])
    def test_bad_page_numbers_fall_back(self, client, many, page):
        html = _get(client, q="zebracorp", page=page)
        assert len(_results(html)) in (10, 3)

    @pytest.mark.parametrize("page", ["3", "99999", "9" * 400])
    def test_page_numbers_past_the_end_show_the_last_page(self, client, many, page):
        # A 400-digit number once reached PostgreSQL's OFFSET as a bigint: a 500.
        html = _get(client, q="zebracorp", page=page)
        assert len(_results(html)) == 3
        assert "page 2 of 2." in html


@pytest.mark.postgres
@pytest.mark.django_db
class TestPostgresRelevance:
    @pytest.mark.parametrize(
        "query", ["west midlnds polise", "West Midland Police", "midlands polce", "wets midlands"]
    )
    def test_misspelt_organisation_still_finds_it(self, client, demo_site, query):
        assert _results(_get(client, q=query))[0] == WMP

    def test_trigram_extensions_are_installed(self, demo_site):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT extname FROM pg_extension")
            installed = {row[0] for row in cursor.fetchall()}
        assert {"pg_trgm", "unaccent"} <= installed

    def test_west_midlands_police_ranks_first_among_police_studies(self, client, index, demo_site):
        from tests.breaches.conftest import make_case_study

        make_case_study(
            index,
            title="Another force's breaches",
            organisation="Northshire Police",
            sector="police",
            summary="An invented police force in the midlands lost records.",
        )
        results = _results(_get(client, q="west midlands police"))
        assert results[0] == WMP


@pytest.mark.django_db
def test_results_page_costs_the_same_for_3_or_10_results(client, index, small_image):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.breaches.conftest import make_case_study

    for n in range(3):
        make_case_study(index, title=f"Quokka {n}", organisation="Quokka", hero_image=small_image)
    for n in range(12):
        make_case_study(index, title=f"Wombat {n}", organisation="Wombat", hero_image=small_image)

    def count(query):
        client.get("/search/", {"q": query})
        with CaptureQueriesContext(connection) as queries:
            html = _get(client, q=query)
        return len(queries), len(_results(html))

    few, shown_few = count("quokka")
    many, shown_many = count("wombat")
    assert (shown_few, shown_many) == (3, 10)
    assert many == few
    # Promotions, the query's row and its hit count, the ranking, the cards, their types,
    # images and renditions; SQLite's fallback backend counts its results first.
    assert few <= (8 if connection.vendor == "postgresql" else 9), few


def _searchable_ids(query):
    """The case studies the PostgreSQL index finds for a query, straight from the index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT page_ptr_id FROM breaches_breachcasestudypage"
            " WHERE search_vector @@ plainto_tsquery('english', %s)",
            [query],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db
class TestPostgresIndex:
    """The case studies' own index (breaches.search_index) stays what readers can find."""

    def test_index_columns_and_gin_indexes_exist(self, demo_site):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'breaches_breachcasestudypage'"
            )
            definitions = " ".join(row[0] for row in cursor.fetchall())
        assert "USING gin (search_vector)" in definitions
        assert "USING gin (search_names gin_trgm_ops)" in definitions

    def test_every_word_ranks_above_one_word_in_the_title(self, client, index):
        from tests.breaches.conftest import make_case_study

        make_case_study(index, title="Quagga records", summary="Nothing more to say.")
        make_case_study(
            index,
            title="A council's mistake",
            summary="The quagga shelter's ledger was posted to the wrong address.",
        )
        assert _results(_get(client, q="quagga ledger")) == [
            "A council&#x27;s mistake",
            "Quagga records",
        ]

    def test_title_and_organisation_outrank_the_body(self, client, index):
        from tests.breaches.conftest import make_case_study

        make_case_study(
            index,
            title="A body mention",
            body=[("paragraph", "<p>Somewhere in the story: the okapi archive.</p>")],
        )
        make_case_study(index, title="Okapi archive exposed", organisation="Okapi Archive")
        assert _results(_get(client, q="okapi archive")) == [
            "Okapi archive exposed",
            "A body mention",
        ]

    def test_some_of_the_words_when_no_page_has_all(self, client, index):
        from tests.breaches.conftest import make_case_study

        make_case_study(index, title="Narwhal records lost")
        html = _get(client, q="narwhal qwxyzzy")
        assert _results(html) == ["Narwhal records lost"]

    def test_body_and_breach_type_names_are_searchable(self, client, index):
        from tests.breaches.conftest import make_case_study

        lost = BreachType.objects.get(slug="lost-devices")
        make_case_study(
            index,
            title="Plain title",
            breach_types=[lost],
            body=[("paragraph", "<p>The <b>wombatine</b> laptop.</p>")],
        )
        assert _results(_get(client, q="wombatine")) == ["Plain title"]
        assert "Plain title" in _results(_get(client, q=lost.name))

    def test_renaming_a_breach_type_reindexes_its_case_studies(self, client, index):
        from tests.breaches.conftest import make_case_study

        kind = BreachType.objects.create(name="Pigeon post")
        page = make_case_study(index, title="Sent by bird", breach_types=[kind])
        assert _results(_get(client, q="pigeon")) == ["Sent by bird"]
        kind.name = "Carrier falcon"
        kind.save()
        assert _results(_get(client, q="pigeon")) == []
        assert _results(_get(client, q="falcon")) == ["Sent by bird"]
        kind.delete()
        assert page.pk not in _searchable_ids("falcon")

    def test_rows_left_unindexed_are_filled_after_migrate(self, index):
        from django.db import connection

        from breaches import signals
        from tests.breaches.conftest import make_case_study

        page = make_case_study(index, title="Capybara crossing")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE breaches_breachcasestudypage SET search_vector = NULL")
        assert _searchable_ids("capybara") == set()
        signals.index_missing()
        assert _searchable_ids("capybara") == {page.pk}

    def test_editing_in_the_admin_reaches_the_index_only_when_published(
        self, client, admin_client, index
    ):
        from django.urls import reverse

        from tests.breaches.test_admin import _add_url, _form

        lost = BreachType.objects.get(slug="lost-devices")
        data = _form(breach_types=[lost.pk])
        assert (
            admin_client.post(_add_url(index), {**data, "action-publish": "1"}).status_code == 302
        )
        page = BreachCaseStudyPage.objects.get(slug=data["slug"])
        assert _results(_get(client, q="riverside")) == [page.title]

        edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
        data["title"] = "Axolotl Council lost a laptop"
        assert admin_client.post(edit, data).status_code == 302  # a draft
        assert _results(_get(client, q="axolotl")) == []
        assert _results(_get(client, q="riverside")) == [page.title]
        assert admin_client.post(edit, {**data, "action-publish": "1"}).status_code == 302
        assert _results(_get(client, q="axolotl")) == ["Axolotl Council lost a laptop"]


@pytest.mark.postgres
@pytest.mark.django_db
class TestPostgresQueryCount:
    """A search costs the same few queries however many case studies match."""

    @pytest.fixture
    def many(self, index):
        from tests.database_state import made_once

        made_once(
            "search: 25 Ibis studies", lambda: _publish_many(index, 25, "Ibis breach", "Ibis Group")
        )

    @pytest.mark.parametrize(
        ("params", "shown"),
        [
            ({"q": "ibis group"}, 10),  # every word, first page (counts a hit)
            ({"q": "ibis group", "page": "3"}, 5),  # a later page
            ({"q": "ibis group", "page": "99"}, 5),  # out of range: the last page
            ({"q": "ibis qwxyzzy"}, 10),  # some of the words: near spelling tried first
            ({"q": "ibis grup"}, 10),  # a misspelt name
            ({"q": "qwxyzzy"}, 0),  # nothing at all
        ],
    )
    def test_constant_query_count(self, client, many, django_assert_max_num_queries, params, shown):
        _get(client, **params)  # the query's row exists from now on, as for a repeated search
        with django_assert_max_num_queries(13):
            html = _get(client, **params)
        assert len(_results(html)) == shown
