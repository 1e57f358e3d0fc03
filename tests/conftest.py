"""Fixtures every test may use: the demo site, the database vendor, and Debian's Chromium."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from tests.database_state import (
    DatabaseState,
    model_tables,
    reset_to,
    snapshots_enabled,
    storage_files,
    write_sequences,
    write_table,
)
from tests.edge_services import VARNISHD, have_varnishd, varnish  # noqa: F401 - a fixture
from tests.fault_services import (  # noqa: F401 - fixtures
    database_through_proxy,
    postgres_proxy,
    private_redis,
    redis_cache,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")
)


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, what this run cannot do; in CI a missing browser or varnishd is
    an error."""
    have_chromium = Path(CHROMIUM).exists()
    require_browser = os.environ.get("REQUIRE_BROWSER") == "1"
    require_varnish = os.environ.get("REQUIRE_VARNISH") == "1"
    for item in items:
        if "varnish" in item.keywords and not have_varnishd():
            if require_varnish:
                item.add_marker(
                    pytest.mark.xfail(reason="varnishd missing", strict=True, run=False)
                )
            else:
                item.add_marker(pytest.mark.skip(reason=f"no varnishd at {VARNISHD}"))
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
    """What the migrations created (root page, site, groups, cookie groups, content types,
    permissions) as rows and id sequences, read once before any test can change them."""
    with django_db_blocker.unblock():
        connection = connections["default"]
        return DatabaseState.read(connection, model_tables(connection))


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_leave_the_migrated_database(_migrated_baseline):
    """Every transactional test (live server, browser, threads, other processes) ends by
    putting the migrated database back, so whatever runs next, in any order, finds it.

    Django ends such a test with a flush, after which post_migrate refills content types and
    permissions under new ids and the root page is gone; putting that right cost a second a
    test. Writing the baseline's rows back costs milliseconds. Django's own serialized
    rollback is no help here: it keeps its copy on the connection object, which Playwright's
    event loop swaps for a new one."""
    from django.test import TransactionTestCase

    def reset(self):
        for alias in self._databases_names(include_mirrors=False):
            if alias != "default":
                raise NotImplementedError("only the default database has a baseline")
            reset_to(_migrated_baseline, alias)

    patch = pytest.MonkeyPatch()
    patch.setattr(TransactionTestCase, "_fixture_teardown", reset)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# What load_demo_content reads besides the database: a test that changes one of these before
# asking for the demo site gets it built the slow way, as it would have been.
_DEMO_INPUTS = (
    "WAGTAILADMIN_BASE_URL",
    "WAGTAILSEARCH_BACKENDS",
    "WAGTAIL_I18N_ENABLED",
    "LANGUAGE_CODE",
    "TIME_ZONE",
    "USE_TZ",
)


def _demo_inputs():
    from django.conf import settings

    return repr([getattr(settings, name, None) for name in _DEMO_INPUTS])


def _load_demo_content():
    call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture(scope="session")
def _demo_state(_migrated_baseline, django_db_blocker):
    """The demo site as load_demo_content builds it on the migrated database: the rows of
    the tables it changes, the id sequences after it, and the media files it writes.

    Built once per run (per xdist worker) inside a transaction that is rolled back, so the
    database stays as migrated. Sessions fixtures are set up before a test's own, so this runs
    before any test transaction opens."""
    with django_db_blocker.unblock():
        connection = connections["default"]
        files_before = storage_files()
        inputs = _demo_inputs()
        with transaction.atomic():
            _load_demo_content()
            built = DatabaseState.read(connection, _migrated_baseline.tables)
            files_after = storage_files()
            transaction.set_rollback(True)
    return inputs, DatabaseState(
        tables={
            table: rows
            for table, rows in built.tables.items()
            if rows != _migrated_baseline.tables[table]
        },
        sequences=built.sequences,
        files={
            name: content
            for name, content in files_after.items()
            if files_before.get(name) != content
        },
    )


@pytest.fixture
def demo_site(db, _migrated_baseline, _demo_state):
    """The whole demo site, built by the same command a newcomer runs.

    The command runs once per run (`_demo_state`); each test gets its result written back into
    its own transaction, in milliseconds instead of seconds. When the tables the demo fills
    are not as migrated (the test made rows there first) or a setting the command reads was
    changed, the command runs here instead, exactly as it would have. TEST_ROW_SNAPSHOTS=0
    always runs it, to check that both ways pass the same tests.
    """
    from wagtail.models import Site

    inputs, state = _demo_state
    fast = (
        snapshots_enabled()
        and inputs == _demo_inputs()
        and _migrated_baseline.matches(connection, state.tables)
    )
    if fast:
        with transaction.atomic():
            for table, rows in state.tables.items():
                write_table(connection, table, rows)
            write_sequences(connection, state.sequences, never_back=True)
        state.restore_files()
        # The command's last publish left Wagtail's site root paths in the cache, which saves
        # the next request a query; tests that count queries count on it.
        Site.get_site_root_paths()
    else:
        _load_demo_content()
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
