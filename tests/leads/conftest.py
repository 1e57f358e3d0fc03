import pytest
from django.contrib.auth.models import Group
from wagtail.models import Page

from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.second_factor import sign_in_with_second_factor


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


@pytest.fixture
def manager(django_user_model):
    """A member of the Lead managers group (with an email address, for escalations)."""
    user = django_user_model.objects.create_user(
        "manager", password="x", email="manager@firm.example"
    )
    user.groups.add(Group.objects.get(name="Lead managers"))
    return user


@pytest.fixture
def as_manager(client, manager):
    """The test client signed in as the lead manager, past the second factor."""
    return sign_in_with_second_factor(client, manager)


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", password="x")
    user.groups.add(Group.objects.get(name="Editors"))
    return user
