"""Browser journeys run Playwright's sync API inside the live server's event loop."""

import os

import pytest

# Set before Playwright starts its loop. Tests that start `manage.py check --deploy` in a
# subprocess drop it from the environment they pass on (the check rightly refuses it).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _serialized_database(django_db_setup):
    """The migrated database content (Wagtail's root page, locale, collections, groups...)
    that `serialized_rollback` restores after each browser test's flush, read before
    Playwright starts."""
    from django.db import connections

    return {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }


@pytest.fixture(scope="session", autouse=True)
def _serialized_database_after_playwright_starts(_serialized_database, playwright):
    """Once Playwright's sync API is running, code runs in a new context and Django hands
    out new connection objects, which lack the serialized content: without it, a browser
    test run after a plain database test would find no root page. Give it to them."""
    from django.db import connections

    for alias, contents in _serialized_database.items():
        if contents is not None and not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents
