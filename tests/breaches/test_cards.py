"""Case-study cards (breaches.models.prefetch_cards): each card shows its own breach types, in
name order, and its own picture, on every list that shows cards, in a fixed number of
queries; a preview shows the types as edited."""

import datetime
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from breaches.models import BreachCaseStudyPage, BreachType, prefetch_cards

pytestmark = pytest.mark.usefixtures("cold_render")


def cards(html):
    """{card title: (its breach types as shown, its picture's first source)}"""
    shown = {}
    for card in html.split('<li class="card case-card">')[1:]:
        card = card[: card.index("\n</li>")]
        title = re.search(r'<a href="[^"]+">([^<]+)</a>', card).group(1)
        types = re.findall(r"<li>([^<]+)</li>", card)
        picture = re.search(r'srcset="([^ "]+)', card)
        shown[title] = (types, picture.group(1) if picture else None)
    return shown


@pytest.mark.django_db
class TestCards:
    def test_each_card_shows_its_own_types_in_name_order_and_its_own_picture(
        self, index_alone, case_study_factory, small_image
    ):
        zebra, apple, mango = (
            BreachType.objects.create(name=name) for name in ("Zebra", "Apple", "Mango")
        )
        case_study_factory(title="Both", breach_types=[zebra, apple], hero_image=small_image)
        case_study_factory(title="One", breach_types=[mango])
        case_study_factory(title="None")
        shown = cards(Client().get("/case-studies/").content.decode())
        assert shown["Both"][0] == ["Apple", "Zebra"]
        assert shown["One"] == (["Mango"], None)
        assert shown["None"] == ([], None)
        rendition = small_image.get_renditions("format-webp|fill-400x225")[
            "format-webp|fill-400x225"
        ]
        assert shown["Both"][1] == rendition.url

    def test_home_and_related_cards_show_the_same(
        self, index_alone, case_study_factory, small_image
    ):
        shared = BreachType.objects.create(name="Shared")
        other = case_study_factory(
            title="Other", breach_types=[shared], hero_image=small_image, featured=True
        )
        page = case_study_factory(title="Main", breach_types=[shared])
        home = cards(Client().get("/").content.decode())
        below = Client().get(page.url).content.decode()
        related = cards(below[below.index('id="related-heading"') :])
        assert related["Other"] == home["Other"] == (["Shared"], related["Other"][1])
        assert related["Other"][1] is not None and other.hero_image_id == small_image.pk

    def test_a_list_costs_the_same_however_many_cards(
        self, index_alone, case_study_factory, small_image
    ):
        types = [BreachType.objects.create(name=f"Type {n}") for n in range(4)]
        pages = [
            case_study_factory(
                title=f"Card {n}", breach_types=types[: n % 4], hero_image=small_image
            )
            for n in range(8)
        ]

        def queries(listed):
            fresh = list(
                BreachCaseStudyPage.objects.filter(pk__in=[p.pk for p in listed]).order_by("pk")
            )
            with CaptureQueriesContext(connection) as captured:
                prefetch_cards(fresh)
                shown = [(page.card_types, page.hero_image.title) for page in fresh]
            return len(captured), shown

        few, shown = queries(pages[:2])
        many, _ = queries(pages)
        assert (
            many == few <= 4
        )  # the types (with every type, outside a request), images, renditions
        assert [names for names, _ in shown] == [[], [types[0]]]

    def test_a_preview_shows_the_types_as_edited(self, index_alone, case_study_factory):
        saved, edited = (
            BreachType.objects.create(name="Saved"),
            BreachType.objects.create(name="Edited"),
        )
        page = case_study_factory(title="Main", breach_types=[saved])
        page.breach_types = [edited]  # not saved: what a preview renders
        html = page.make_preview_request().render().content.decode()
        facts = html[
            html.index('class="facts"') : html.index("</section>", html.index('class="facts"'))
        ]
        assert "Edited" in facts and "Saved" not in facts


@pytest.mark.django_db
def test_wagtail_uses_the_renditions_an_image_is_given(small_image):
    """prefetch_cards gives each image its renditions as `prefetched_renditions`, where
    Wagtail's own Image.prefetch_renditions() leaves them; if an upgrade stops looking there
    first, every card picture costs a cache or database lookup again."""
    spec = "fill-100x50"
    made = small_image.get_renditions(spec)[spec]
    image = type(small_image).objects.get(pk=small_image.pk)
    image.prefetched_renditions = [made]
    with CaptureQueriesContext(connection) as captured:
        found = image.get_renditions(spec)[spec]
    assert found.pk == made.pk and len(captured) == 0, (
        "Wagtail no longer reads an image's renditions from `prefetched_renditions`; "
        "breaches.models.prefetch_cards relies on it"
    )


def _orm_listing(index, type_slug=None, sector=None, year=None):
    """What the index should list, asked of the database: live, public case studies under
    it, newest first, each filter as readers read it (a year the period covers)."""
    listed = (
        BreachCaseStudyPage.objects.live()
        .public()
        .child_of(index)
        .order_by("-published_date", "-first_published_at", "-pk")
    )
    if type_slug:
        listed = listed.filter(breach_types__slug=type_slug)
    if sector:
        listed = listed.filter(sector=sector)
    if year is not None:
        listed = listed.filter(
            Q(period_start__lte=year)
            & (Q(period_end__gte=year) | Q(period_end__isnull=True, period_start=year))
        )
    return listed


@pytest.mark.django_db
def test_each_filter_and_page_of_the_index_lists_what_the_orm_finds(
    index_alone, case_study_factory
):
    kinds = [BreachType.objects.create(name=name) for name in ("Lost", "Hacked")]
    for n in range(24):
        case_study_factory(
            title=f"Study {n:02}",
            breach_types=[kinds[n % 2]],
            sector=("police", "health", "retail")[n % 3],
            period_start=2015 + n % 4,
            published_date=datetime.date(2020, 1, 1 + n),
        )
    index = index_alone
    for query in (
        {},
        {"page": "2"},
        {"page": "3"},
        {"type": kinds[1].slug},
        {"type": kinds[0].slug, "sector": "police"},
        {"sector": "health", "year": "2016"},
        {"type": kinds[1].slug, "year": "2018", "page": "1"},
    ):
        html = Client().get("/case-studies/", query).content.decode()
        expected = _orm_listing(
            index,
            type_slug=query.get("type"),
            sector=query.get("sector"),
            year=int(query["year"]) if "year" in query else None,
        )
        first = (int(query.get("page", 1)) - 1) * 10
        titles = [page.title for page in expected[first : first + 10]]
        assert titles and list(cards(html)) == titles, query
