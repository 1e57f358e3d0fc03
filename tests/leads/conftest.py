import pytest
from wagtail.models import Page

from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture


@pytest.fixture
def humans_are_quick(settings):
    """The too-fast signal off, so a test client is not taken for a bot."""
    settings.LEADS_MIN_FILL_SECONDS = 0


@pytest.fixture
def home(demo_site):
    return Page.objects.get(depth=2).specific


@pytest.fixture
def home_html(client, home):
    response = client.get(home.url)
    assert response.status_code == 200
    return response.content.decode()
