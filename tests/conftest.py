"""Fixtures every test may use: the demo site, the database vendor, and Debian's Chromium."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")
)


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, what this run cannot do; in CI a missing browser is an error."""
    have_chromium = Path(CHROMIUM).exists()
    require_browser = os.environ.get("REQUIRE_BROWSER") == "1"
    for item in items:
        if "browser" in item.keywords and not have_chromium:
            if require_browser:
                item.add_marker(
                    pytest.mark.xfail(reason="Chromium missing", strict=True, run=False)
                )
            else:
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... to run it")


@pytest.fixture(scope="session", autouse=True)
def _urlconf_loaded_before_any_settings_override():
    """Apps built on django-appconf (django-cookie-consent) write their defaults into settings
    when first imported, which happens with the URLconf on the first request. Imported inside
    a test's `settings` override, those defaults vanish when the override ends and every later
    request fails; so import it once, up front."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point


@pytest.fixture(scope="session")
def _migrated_baseline(django_db_setup, django_db_blocker):
    """What the migrations created (root page, site, groups, cookie groups), serialized once,
    before any test can flush it."""
    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture(autouse=True)
def _restore_migrated_database(request, _migrated_baseline):
    """Every transactional test (live server, browser) starts from the migrated database.

    Transactional tests flush the database when they end, and post_migrate then refills
    content types and permissions under new ids. Django's own serialized rollback keeps its
    copy on the connection object, which Playwright's event loop swaps for a new one, so it
    cannot be relied on here: this keeps the copy itself and restores it when it is missing.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from wagtail.models import Page

    if Page.objects.filter(depth=1).exists():
        return
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style

    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    connection.creation.deserialize_db_from_string(_migrated_baseline)
    ContentType.objects.clear_cache()
    # The flush restarted id sequences (PostgreSQL); move them past the restored rows.
    statements = connection.ops.sequence_reset_sql(
        no_style(), apps.get_models(include_auto_created=True)
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_site(db):
    """The whole demo site, built by the same command a newcomer runs."""
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)


# Playwright: drive Debian's Chromium, never a downloaded browser.
@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's superuser client, past the second factor every superuser must give."""
    from tests.second_factor import sign_in_with_second_factor

    return sign_in_with_second_factor(client, admin_user)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def app_log_output():
    """What the site's configured log handlers write during the test, through their real
    filters and formatters (the personal-data filter included), as one string: call it."""
    import io
    import logging

    handlers = {
        handler
        for name in ("", *logging.root.manager.loggerDict)
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
        and not type(handler).__module__.startswith("_pytest")  # pytest's own capture
    }
    buffer = io.StringIO()
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer.getvalue
    for handler, stream in previous.items():
        handler.setStream(stream)


class _LiveServerTestsLast:
    """Live-server (transactional) tests last, after every other ordering plugin has run.

    They empty the database when they finish; pytest-django sorts them last, but pytest's own
    grouping by parametrized session fixtures (Playwright's browser) can move other tests after
    them, which then find no root page. A stable sort keeps everything else in its order."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        items.sort(key=lambda item: "live_server" in getattr(item, "fixturenames", ()))


def pytest_configure(config):
    config.pluginmanager.register(_LiveServerTestsLast(), "live-server-tests-last")
