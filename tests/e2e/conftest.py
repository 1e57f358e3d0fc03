"""Browser journeys run Playwright's sync API inside the live server's event loop."""

import os

import pytest
from django.db import connections

# Playwright's loop keeps running until the session ends, so every later database test needs
# this too. Tests that start a Django process for deployment checks must drop it from its env.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _migrated_data(django_db_setup):
    """What the migrations created (root page, site, cookie groups), as Django serialized it.

    Django keeps it on the connection object, which is per context: inside Playwright's event
    loop a new connection object lacks it, so `serialized_rollback` would restore nothing.
    """
    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(autouse=True)
def _restore_migrated_data(request, _migrated_data, django_db_blocker):
    marker = request.node.get_closest_marker("django_db")
    if not marker or not marker.kwargs.get("serialized_rollback"):
        return
    for alias, contents in _migrated_data.items():
        connection = connections[alias]
        if not hasattr(connection, "_test_serialized_contents"):
            # From now on Django restores it itself after each flush; this once, do it here.
            connection._test_serialized_contents = contents
            with django_db_blocker.unblock():
                connection.creation.deserialize_db_from_string(contents)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, for fixtures that act on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
