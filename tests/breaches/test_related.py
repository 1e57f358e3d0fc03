import datetime

import pytest
from wagtail.models import PageViewRestriction

from breaches.models import BreachCaseStudyPage, BreachType
from tests.breaches.conftest import make_breach_types


def _titles(pages):
    return [page.title for page in pages]


@pytest.mark.django_db
class TestRelatedPosts:
    def test_editor_picks_come_first_in_editor_order(self, index_alone, case_study_factory):
        a = case_study_factory(title="A", published_date=datetime.date(2020, 1, 1))
        b = case_study_factory(title="B", published_date=datetime.date(2025, 1, 1))
        c = case_study_factory(title="C", published_date=datetime.date(2022, 1, 1))
        page = case_study_factory(title="Main", related=[c, a, b])
        assert _titles(page.get_related_posts()) == ["C", "A", "B"]

    def test_drafts_and_private_picks_are_skipped(self, index_alone, case_study_factory):
        draft = case_study_factory(title="Draft", publish=False)
        private = case_study_factory(title="Private")
        PageViewRestriction.objects.create(page=private, restriction_type="login")
        shown = case_study_factory(title="Shown", sector="retail")
        page = case_study_factory(title="Main", sector="police", related=[draft, private, shown])
        assert _titles(page.get_related_posts()) == ["Shown"]

    def test_remaining_places_filled_by_shared_type_then_sector_newest_first(
        self, index_alone, case_study_factory
    ):
        lost, email, other = make_breach_types(3)
        case_study_factory(
            title="Old shared type", breach_types=[lost], published_date=datetime.date(2019, 1, 1)
        )
        case_study_factory(
            title="New shared type", breach_types=[email], published_date=datetime.date(2024, 1, 1)
        )
        case_study_factory(
            title="Same sector only",
            sector="health",
            breach_types=[other],
            published_date=datetime.date(2025, 6, 1),
        )
        case_study_factory(
            title="Unrelated", sector="retail", published_date=datetime.date(2025, 9, 1)
        )
        picked = case_study_factory(title="Picked", sector="retail")
        page = case_study_factory(
            title="Main", sector="health", breach_types=[lost, email], related=[picked]
        )
        assert _titles(page.get_related_posts()) == ["Picked", "New shared type", "Old shared type"]

        page.delete()
        fewer = case_study_factory(title="Main 2", sector="health", breach_types=[email])
        assert _titles(fewer.get_related_posts()) == ["New shared type", "Same sector only"]

    def test_never_itself_never_repeated(self, index_alone, case_study_factory):
        shared = BreachType.objects.create(name="Shared")
        page = case_study_factory(title="Main", breach_types=[shared])
        other = case_study_factory(title="Other", breach_types=[shared])
        page.related_links.add(page.related_links.model(related_page=page, sort_order=0))
        page.related_links.add(page.related_links.model(related_page=other, sort_order=1))
        page.save()
        page = BreachCaseStudyPage.objects.get(pk=page.pk)
        assert _titles(page.get_related_posts()) == ["Other"]

    def test_unpublished_auto_candidates_excluded(self, index_alone, case_study_factory):
        shared = BreachType.objects.create(name="Shared")
        case_study_factory(title="Draft", breach_types=[shared], publish=False)
        page = case_study_factory(title="Main", breach_types=[shared])
        assert page.get_related_posts() == []

    def test_picks_and_types_held_in_memory_count_as_in_a_preview(
        self, index_alone, case_study_factory
    ):
        shared = BreachType.objects.create(name="Shared")
        case_study_factory(title="Unrelated", sector="retail")
        case_study_factory(title="Shares a type", sector="retail", breach_types=[shared])
        picked = case_study_factory(title="Picked", sector="retail")
        page = case_study_factory(title="Main", sector="police")
        # Edited, not saved: what a preview renders.
        page.related_links.add(page.related_links.model(related_page=picked, sort_order=0))
        page.breach_types = [shared]
        assert _titles(page.get_related_posts()) == ["Picked", "Shares a type"]

    def test_related_posts_shown_on_the_page(self, client, index_alone, case_study_factory):
        other = case_study_factory(title="Read this next")
        page = case_study_factory(title="Main", related=[other])
        html = client.get(page.url).content.decode()
        related = html[html.index('id="related-heading"') :]
        assert f'href="{other.url}"' in related


@pytest.mark.django_db
def test_demo_related_posts_resolve(client, index):
    page = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
    related = page.get_related_posts()
    assert len(related) == 3
    assert related[0].slug == "harbourline-bank-staff-snooping"
    for other in related:
        assert client.get(other.url).status_code == 200
