"""Several processes sharing one Redis: the fixture that points this process at the real
Redis, and a way to run code in another process against it."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

REDIS_URL = "redis://127.0.0.1:6379/5"


def _redis_available():
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except Exception:
        return False


@pytest.fixture
def shared_redis(settings):
    if not _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-page-cache-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "home.page_cache.backend.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)


def in_other_process(prefix, code):
    """Run `code` in a fresh Python with the production settings and the same Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": "two-process-test-" + uuid.uuid4().hex,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "DATABASE_URL": "sqlite:///:memory:",
    }
    script = f"import django; django.setup()\nfrom home import page_cache\n{code}"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
