"""The health endpoints a load balancer probes: what they answer, to whom, and how fast.

Failures are real: a private redis-server the test kills, a TCP proxy to PostgreSQL it cuts
or stalls, a migration the database has not recorded, a task left waiting in the queue.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import close_old_connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from home import health
from home.tasks import make_renditions

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "health-token-" + "x" * 24
PUBLIC = {"REMOTE_ADDR": "203.0.113.9"}
# Everything home checks itself; the lead spool's check is tested where it lives (leads).
HOME_CHECKS = [
    "home.health.database",
    "home.health.redis",
    "home.health.migrations",
    "home.health.task_queue",
]


@pytest.fixture
def checks(settings, monkeypatch):
    settings.HEALTH_READINESS_CHECKS = list(HOME_CHECKS)
    settings.HEALTH_TOKEN = TOKEN
    settings.REDIS_URL = ""
    # Each test starts as a fresh process would: migrations not yet seen applied.
    monkeypatch.setattr(health, "_migrations_applied", False)
    return settings


def ready(**extra):
    return Client().get("/health/ready", **extra)


def details(response):
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    return data["status"], {check["name"]: check for check in data["checks"]}


def never_cached(response):
    cache_control = response["Cache-Control"]
    return "no-store" in cache_control and "private" in cache_control


# --------------------------------------------------------------------------------------------
# Liveness


@pytest.mark.django_db
class TestLive:
    def test_answers_ok_with_no_query(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = Client().get("/health/live", **PUBLIC)
        assert (response.status_code, response.content) == (200, b"ok\n")
        assert never_cached(response)

    def test_answers_with_the_shared_cache_dead(self, settings, private_redis):
        """The cache is never asked: not the page cache, not the site snapshot."""
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": private_redis.url,
            }
        }
        private_redis.kill()
        assert Client().get("/health/live").status_code == 200
        # The same server's pages do need the cache: the probe would have noticed.
        assert Client(raise_request_exception=False).get("/").status_code == 500


# --------------------------------------------------------------------------------------------
# Readiness


@pytest.mark.django_db
class TestReady:
    def test_all_well_is_ok(self, checks):
        response = ready(**PUBLIC)
        assert (response.status_code, response.content) == (200, b"ok\n")
        assert response["Content-Type"].startswith("text/plain")

    def test_the_public_gets_one_word_and_never_details(self, checks):
        response = ready(**PUBLIC, HTTP_AUTHORIZATION="Bearer wrong-token")
        assert response.content == b"ok\n"
        assert b"database" not in response.content

    def test_the_token_gets_details(self, checks):
        response = ready(**PUBLIC, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        status, results = details(response)
        assert status == "ok"
        assert list(results) == ["database", "redis", "migrations", "task_queue"]
        assert all(result["ok"] for result in results.values())
        assert results["redis"]["detail"] == {"configured": False}

    def test_no_token_configured_means_no_bearer_access(self, checks):
        checks.HEALTH_TOKEN = ""
        response = ready(**PUBLIC, HTTP_AUTHORIZATION="Bearer ")
        assert response.content == b"ok\n"

    def test_trusted_addresses_get_details(self, checks):
        checks.HEALTH_TRUSTED_ADDRESSES = ["10.1.0.0/16"]
        assert details(ready(REMOTE_ADDR="10.1.2.3"))[0] == "ok"
        assert ready(REMOTE_ADDR="10.2.0.1").content == b"ok\n"
        # The test client's own address (127.0.0.1) is trusted by default.
        checks.HEALTH_TRUSTED_ADDRESSES = ["127.0.0.0/8", "::1/128"]
        assert details(ready())[0] == "ok"

    def test_behind_a_proxy_the_client_address_decides_not_a_forged_header(self, checks):
        """With one proxy (TRUSTED_PROXY_COUNT=1) the client is REMOTE_ADDR's caller as the
        proxy wrote it; an address the client put in X-Forwarded-For itself counts for nothing."""
        checks.IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
        checks.IPWARE_META_PROXY_COUNT = 0
        checks.HEALTH_TRUSTED_ADDRESSES = ["10.9.0.0/16"]
        forged = ready(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.0.1, 203.0.113.9")
        assert forged.content == b"ok\n"
        trusted = ready(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.0.1")
        assert details(trusted)[0] == "ok"

    def test_never_cached(self, checks):
        first = ready(**PUBLIC)
        second = ready(**PUBLIC)
        assert never_cached(first) and never_cached(second)
        assert second["X-Cache"] == "BYPASS"

    def test_a_check_that_cannot_be_loaded_fails_and_the_others_still_run(self, checks):
        checks.HEALTH_READINESS_CHECKS = [*HOME_CHECKS, "tests.home.no_such_module.check"]
        response = ready()
        status, results = details(response)
        assert (response.status_code, status) == (200, "degraded")
        failed = results["tests.home.no_such_module.check"]
        assert failed["ok"] is False
        assert "cannot load" in failed["detail"]["error"]
        assert results["database"]["ok"] is True

    def test_the_lead_spool_is_among_the_default_checks(self, settings):
        assert "leads.spool.readiness" in settings.HEALTH_READINESS_CHECKS

    def test_unapplied_migrations_make_the_instance_unavailable(self, checks):
        latest = MigrationRecorder.Migration.objects.filter(app="home").latest("id")
        latest.delete()  # the database has not seen this code's latest migration
        response = ready(**PUBLIC)
        assert (response.status_code, response.content) == (503, b"unavailable\n")
        status, results = details(ready())
        assert results["migrations"]["fatal"] is True
        assert f"home.{latest.name}" in results["migrations"]["detail"]["unapplied"]

    def test_applied_migrations_are_remembered(self, checks, django_assert_max_num_queries):
        checks.HEALTH_READINESS_CHECKS = ["home.health.migrations"]
        ready()
        with django_assert_max_num_queries(0):
            status, results = details(ready())
        assert results["migrations"]["detail"] == {"remembered": True}

    def test_a_task_waiting_too_long_marks_the_instance_degraded(self, checks):
        checks.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        checks.HEALTH_TASK_QUEUE_MAX_AGE = 600
        result = make_renditions.enqueue(image_id=0)
        assert details(ready())[1]["task_queue"]["ok"] is True  # just enqueued
        DBTaskResult.objects.filter(pk=result.id).update(
            enqueued_at=timezone.now() - timedelta(hours=1)
        )
        status, results = details(ready())
        assert status == "degraded"
        assert results["task_queue"]["ok"] is False
        assert results["task_queue"]["detail"]["oldest_wait_seconds"] >= 3600
        assert ready(**PUBLIC).status_code == 200

    def test_redis_up_then_down(self, checks, private_redis):
        checks.REDIS_URL = private_redis.url
        assert details(ready())[1]["redis"] == {
            "name": "redis",
            "ok": True,
            "detail": {"configured": True},
            "seconds": pytest.approx(0, abs=1),
        }
        private_redis.kill()
        started = time.monotonic()
        response = ready(**PUBLIC)
        assert (response.status_code, response.content) == (200, b"degraded\n")
        assert time.monotonic() - started < 3
        assert details(ready())[1]["redis"]["ok"] is False

    def test_a_frozen_redis_is_given_up_on_quickly(self, checks, private_redis):
        checks.REDIS_URL = private_redis.url
        private_redis.freeze()
        started = time.monotonic()
        status, results = details(ready())
        assert time.monotonic() - started < 3
        assert (status, results["redis"]["ok"]) == ("degraded", False)


def probe(**extra):
    """A probe as a WSGI server serves it (see tests/home/test_outage.py's serve())."""
    close_old_connections()
    started = time.monotonic()
    try:
        response = Client().get("/health/ready", **extra)
    finally:
        close_old_connections()
    response.seconds = time.monotonic() - started
    return response


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestDatabaseOutage:
    def test_the_database_down_is_reported_and_the_instance_stays_in(
        self, checks, database_through_proxy
    ):
        assert details(probe())[0] == "ok"

        database_through_proxy.cut()
        public = probe(**PUBLIC)
        status, results = details(probe())

        assert (public.status_code, public.content) == (200, b"degraded\n")
        assert status == "degraded"
        assert results["database"]["ok"] is False
        assert "OperationalError" in results["database"]["detail"]["error"]
        assert results["migrations"]["ok"] is True  # seen applied before the outage
        assert results["task_queue"]["detail"] == {"error": "database unreachable"}

        database_through_proxy.restore()
        assert details(probe())[0] == "ok"

    def test_a_stalled_database_is_reported_within_one_connect_timeout(
        self, checks, database_through_proxy
    ):
        database_through_proxy.cut()  # TcpProxy needs a cut before a stall (test_outage.py)
        database_through_proxy.stall()
        response = probe()
        status, results = details(response)
        assert status == "degraded"
        assert results["database"]["ok"] is False
        # Checks after the database's do not wait out the connect timeout again.
        assert response.seconds < 5
        assert results["migrations"]["detail"] == {"error": "database unreachable"}


# --------------------------------------------------------------------------------------------
# Production settings


def _production(code, **env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": "health-test-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": "sqlite:///:memory:",
        "ALLOWED_HOSTS": "www.example.test",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_a_plain_http_probe_is_answered_not_redirected():
    result = _production(
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='www.example.test')\n"
        "print(client.get('/health/live').status_code, client.get('/robots.txt').status_code)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "301"]


def test_postgresql_connections_give_up_after_the_connect_timeout():
    result = _production(
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['OPTIONS']['connect_timeout'],"
        " settings.DATABASES['default']['CONN_HEALTH_CHECKS'])",
        DATABASE_URL="postgres://app@db.internal:5432/cms",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "True"]
