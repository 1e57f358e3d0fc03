import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cms.env import email_settings_from_url, env_bool

ROOT = Path(__file__).resolve().parents[2]


def _run_production(extra_env, *args):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests; deployment checks refuse it.
    dropped = {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({"DJANGO_SETTINGS_MODULE": "cms.settings.production", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run_production({}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_check_deploy_is_clean():
    secret = "a-long-random-test-secret-" + "x7Q9" * 12
    result = _run_production({"SECRET_KEY": secret}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_email_url_is_parsed():
    parsed = email_settings_from_url("smtp+tls://user%40x:p%2Fw@mail.example.test:2525")
    assert parsed["EMAIL_HOST"] == "mail.example.test"
    assert parsed["EMAIL_PORT"] == 2525
    assert parsed["EMAIL_HOST_USER"] == "user@x"
    assert parsed["EMAIL_HOST_PASSWORD"] == "p/w"
    assert parsed["EMAIL_USE_TLS"] is True


def test_unknown_email_scheme_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme"):
        email_settings_from_url("carrier-pigeon://coop")


def test_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_admin_works_offline(settings):
    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    assert settings.WAGTAIL_ENABLE_UPDATE_CHECK is False
