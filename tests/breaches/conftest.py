"""Fixtures for case-study tests: the demo site's index, and a quick way to publish more."""

import datetime
import io
import itertools

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType, CaseStudySource

_counter = itertools.count(1)


@pytest.fixture
def index(demo_site):
    return BreachIndexPage.objects.get(url_path__endswith="/case-studies/")


@pytest.fixture
def small_image(db):
    buffer = io.BytesIO()
    PILImage.new("RGB", (320, 180), (11, 79, 138)).save(buffer, format="PNG")
    image = get_image_model()(title="Test picture", description="A blue rectangle")
    image.file = ImageFile(buffer, name="test-picture.png")
    image.save()
    return image


def make_breach_types(count, prefix="Type"):
    start = next(_counter)
    return [
        BreachType.objects.create(name=f"{prefix} {start}-{n}", description=f"About {n}")
        for n in range(count)
    ]


def make_case_study(index, *, publish=True, breach_types=(), sources=0, related=(), **fields):
    number = next(_counter)
    values = {
        "title": f"Case study {number}",
        "slug": f"case-study-{number}",
        "organisation": f"Organisation {number}",
        "sector": "council",
        "period_start": 2020,
        "summary": f"What happened at organisation {number}.",
        "published_date": datetime.date(2024, 1, 1),
    }
    values.update(fields)
    page = BreachCaseStudyPage(**values)
    page.breach_types = list(breach_types)
    for position in range(sources):
        page.sources.add(
            CaseStudySource(
                sort_order=position,
                title=f"Source {position}",
                url=f"https://example.test/{position}",
                date=datetime.date(2023, 1, 1),
            )
        )
    for position, other in enumerate(related):
        page.related_links.add(page.related_links.model(sort_order=position, related_page=other))
    index.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
    else:
        page.unpublish()
    return BreachCaseStudyPage.objects.get(pk=page.pk)


@pytest.fixture
def case_study_factory(index):
    def factory(**kwargs):
        return make_case_study(index, **kwargs)

    return factory


@pytest.fixture
def index_alone(index):
    """The demo site's index with no case study under it (the demo's would compete for every
    list's places)."""
    from tests.database_state import made_once

    def delete_every_case_study():
        for page in BreachCaseStudyPage.objects.all():
            page.delete()

    made_once("breaches: the index alone", delete_every_case_study)
    return index


@pytest.fixture
def cold_render(settings):
    """Every request renders its whole page, as the bench's cold server does; the site
    snapshot is kept between requests, as in any running server."""
    settings.PAGE_CACHE_ENABLED = False
