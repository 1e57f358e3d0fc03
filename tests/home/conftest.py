"""Fixtures for the site shell's tests."""

from tests.home.redis_processes import shared_redis  # noqa: F401 - a fixture
