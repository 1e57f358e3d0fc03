import os

import pytest
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType, RelatedCaseStudy


@pytest.mark.django_db
class TestDemoCaseStudies:
    def test_west_midlands_police_case_study_carries_the_reported_facts(self, client, index):
        page = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        assert page.live
        assert (page.organisation, page.sector, page.period, page.incidents_reported) == (
            "West Midlands Police",
            "police",
            "2016",
            24,
        )
        assert {t.slug for t in page.breach_types.all()} == {
            "wrong-address-subject-access",
            "insecure-email",
            "lost-devices",
            "inappropriate-disclosure",
            "misuse-of-systems",
        }
        html = client.get(page.url).content.decode()
        assert "about 2,300" in html
        assert "22 of the 45 forces" in html
        assert "Start your claim" in html
        assert 'href="tel:+448081570192"' in html
        assert "Request a call back from our team" in html

    def test_at_least_five_more_across_sectors_marked_as_invented(self, index):
        others = BreachCaseStudyPage.objects.live().exclude(
            slug="west-midlands-police-data-breaches"
        )
        assert others.count() >= 5
        assert len({page.sector for page in others}) >= 5
        for page in others:
            assert "invented" in str(page.body) or "invented" in page.summary, page.title
            assert page.breach_types.exists()
            assert page.hero_image is not None

    def test_images_are_drawn_locally_and_readable(self, index):
        for image in get_image_model().objects.all():
            with image.open_file() as handle:
                assert PILImage.open(handle).size == (1200, 675)

    def test_running_again_changes_nothing(self, index):
        counts = (
            BreachIndexPage.objects.count(),
            BreachCaseStudyPage.objects.count(),
            BreachType.objects.count(),
            RelatedCaseStudy.objects.count(),
            get_image_model().objects.count(),
        )
        call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert counts == (
            BreachIndexPage.objects.count(),
            BreachCaseStudyPage.objects.count(),
            BreachType.objects.count(),
            RelatedCaseStudy.objects.count(),
            get_image_model().objects.count(),
        )

    def test_every_case_study_renders(self, client, index):
        for page in BreachCaseStudyPage.objects.live():
            response = client.get(page.url)
            assert response.status_code == 200, page.url

    def test_home_page_shows_featured_and_latest(self, client, index):
        html = client.get("/").content.decode()
        featured = html[html.index('id="featured-heading"') :]
        for page in BreachCaseStudyPage.objects.filter(featured=True):
            assert f'href="{page.url}"' in featured
        newest = BreachCaseStudyPage.objects.filter(featured=False).order_by("-published_date")[0]
        assert f'href="{newest.url}"' in featured
        assert featured.count('class="card case-card"') == 6
        assert 'href="/case-studies/">All case studies</a>' in featured
