"""The cookie groups live in the shared cache: a change made in one process is seen by another.

Runs against the real Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379/3) and PostgreSQL,
with a second Python process sharing both.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from home.consent import groups as consent

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/3")

# The other process: reads the groups (from the cache the test filled), then adds a cookie.
OTHER_PROCESS = """
import django
django.setup()
from django.core.cache import cache
from cookie_consent.models import Cookie, CookieGroup
from home.consent import groups as consent
print("cached-before", cache.get(consent.CACHE_KEY) is not None)
group = CookieGroup.objects.get(varname="analytics")
Cookie.objects.create(cookiegroup=group, name="_demo_visit", description="A visit id.")
print("cached-after", cache.get(consent.CACHE_KEY) is not None)
analytics = [g for g in consent.all_groups() if g.varname == "analytics"][0]
print("version", analytics.version)
"""


def _redis_up():
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - any failure means there is no Redis to test against
        return False


def _database_url():
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_in_another_process_reaches_this_one(client):
    if not _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-consent-{uuid.uuid4().hex[:8]}"
    caches = {
        "default": {
            "BACKEND": "home.page_cache.backend.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=caches):
        try:
            consent.clear_cache()
            client.post("/cookies/accept/", {"all_groups": "on"})
            assert client.get("/cookies/status/").json()["undecided"] == []
            before = {g.varname: g.version for g in consent.all_groups()}

            env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
            env.update(
                DJANGO_SETTINGS_MODULE="cms.settings.dev",
                DATABASE_URL=_database_url(),
                REDIS_URL=REDIS_URL,
                CACHE_KEY_PREFIX=prefix,
            )
            result = subprocess.run(
                [sys.executable, "-c", OTHER_PROCESS],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr
            lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
            # The other process found this process's cached groups, and its save cleared them.
            assert lines["cached-before"] == "True"
            assert lines["cached-after"] == "False"

            after = {g.varname: g.version for g in consent.all_groups()}
            assert after["analytics"] == lines["version"] != before["analytics"]
            assert after["marketing"] == before["marketing"]
            analytics = next(g for g in consent.all_groups() if g.varname == "analytics")
            assert "_demo_visit" in {cookie.name for cookie in analytics.cookies}
            # And this process now asks the visitor again.
            assert client.get("/cookies/status/").json()["undecided"] == ["analytics"]
        finally:
            consent.clear_cache()


def _settings_of(module, **extra_env):
    """Selected settings as another process configured by the environment sees them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(DJANGO_SETTINGS_MODULE=module, **extra_env)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'backend': s.CACHES[s.COOKIE_CONSENT_CACHE_BACKEND]['BACKEND'], "
        "'secure': s.COOKIE_CONSENT_SECURE, 'httponly': s.COOKIE_CONSENT_HTTPONLY, "
        "'retention': s.COOKIE_CONSENT_LOG_RETENTION_DAYS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cookie_groups_are_cached_in_redis_when_redis_url_is_set():
    seen = _settings_of("cms.settings.dev", REDIS_URL=REDIS_URL)
    assert seen["backend"] == "home.page_cache.backend.FailSoftRedisCache"
    assert settings.COOKIE_CONSENT_CACHE_BACKEND == "default"


def test_consent_cookie_is_secure_in_production_only():
    production = _settings_of(
        "cms.settings.production",
        SECRET_KEY="test-" + "x" * 60,
        COOKIE_CONSENT_LOG_RETENTION_DAYS="90",
    )
    assert production["secure"] is True and production["httponly"] is True
    assert production["retention"] == 90
    assert _settings_of("cms.settings.dev")["secure"] is False
