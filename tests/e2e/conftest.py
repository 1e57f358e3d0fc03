"""Browser journeys run Playwright's sync API inside the live server's event loop."""

import os

import pytest

# Playwright's loop keeps running until the session ends, so every later database test needs
# this too. Tests that start a Django process for deployment checks must drop it from its env.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, for fixtures that act on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
