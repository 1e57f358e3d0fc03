"""Cached pages that list case studies are purged when a case study they may show changes."""

import datetime

import pytest

from breaches.models import BreachCaseStudyPage, BreachType


def _get(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
class TestPurges:
    @pytest.fixture(autouse=True)
    def _cached(self, settings):
        settings.PAGE_CACHE_ENABLED = True

    def test_new_case_study_appears_in_related_posts_of_a_cached_page(
        self, client, index, case_study_factory
    ):
        fernhill = BreachCaseStudyPage.objects.get(slug="fernhill-academy-trust-stolen-laptop")
        _get(client, fernhill.url)
        assert _get(client, fernhill.url)["X-Cache"] == "HIT"
        lost = BreachType.objects.get(slug="lost-devices")
        newer = case_study_factory(
            title="A brand new lost laptop case",
            breach_types=[lost],
            published_date=fernhill.published_date,
        )
        response = _get(client, fernhill.url)
        assert response["X-Cache"] != "HIT"
        assert newer.title in response.content.decode()

    def test_unpublished_pick_leaves_the_cached_page(self, client, index):
        wmp = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        harbourline = BreachCaseStudyPage.objects.get(slug="harbourline-bank-staff-snooping")
        assert f'href="{harbourline.url}"' in _get(client, wmp.url).content.decode()
        assert _get(client, wmp.url)["X-Cache"] == "HIT"
        harbourline.unpublish()
        assert f'href="{harbourline.url}"' not in _get(client, wmp.url).content.decode()

    def test_filtered_index_and_home_are_purged(self, client, index, case_study_factory):
        _get(client, "/case-studies/?sector=council")
        _get(client, "/")
        assert _get(client, "/case-studies/?sector=council")["X-Cache"] == "HIT"
        case_study_factory(
            title="Freshly published council case",
            sector="council",
            published_date=datetime.date(2026, 11, 1),
        )
        assert (
            "Freshly published council case"
            in _get(client, "/case-studies/?sector=council").content.decode()
        )
        assert "Freshly published council case" in _get(client, "/").content.decode()
