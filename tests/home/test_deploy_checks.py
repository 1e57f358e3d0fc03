"""Several app server processes need the shared cache: `manage.py check --deploy` warns and
deploy/gunicorn.conf.py refuses to start, each saying why; the gunicorn settings themselves."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
WHY = "the call-back form's rate limit is multiplied by the number of processes"


def deploy_warnings():
    return [
        message
        for message in run_checks(include_deployment_checks=True, tags=["caches"])
        if message.id.startswith("home.")
    ]


def clean_env(**values):
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "REDIS_URL")}
    env.update(values)
    return env


class TestDeployCheck:
    def test_several_processes_without_redis_warn_with_the_reason(self, monkeypatch):
        monkeypatch.setenv("WEB_CONCURRENCY", "2")
        monkeypatch.delenv("REDIS_URL", raising=False)
        [warning] = deploy_warnings()
        assert warning.id == "home.W001"
        assert "WEB_CONCURRENCY is 2 but REDIS_URL is not set" in warning.msg
        assert WHY in warning.msg
        assert "after a publish, readers served by the other processes get the old page" in (
            warning.msg
        )

    def test_with_redis_there_is_no_warning(self, monkeypatch):
        monkeypatch.setenv("WEB_CONCURRENCY", "4")
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
        assert deploy_warnings() == []

    def test_one_process_needs_no_redis(self, monkeypatch):
        monkeypatch.setenv("WEB_CONCURRENCY", "1")
        monkeypatch.delenv("REDIS_URL", raising=False)
        assert deploy_warnings() == []

    def test_a_malformed_count_is_named(self, monkeypatch):
        monkeypatch.setenv("WEB_CONCURRENCY", "two")
        [warning] = deploy_warnings()
        assert warning.msg == "WEB_CONCURRENCY must be a whole number, not 'two'."

    # CI's own `check --deploy --fail-level WARNING` with neither set: tests/home/test_settings.py.


def _in_a_process_of_its_own(script):
    """Run `script` with Django's test settings in a new Python: freezing is for the rest of
    a process's life."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="cms.settings.test"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


class TestGunicornConfig:
    def check_config(self, **env):
        return subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--check-config"],
            cwd=ROOT,
            env=clean_env(
                DJANGO_SETTINGS_MODULE="cms.settings.production",
                SECRET_KEY="check-only-" + "x7Qp2" * 12,
                **env,
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def test_refuses_several_workers_without_redis_and_says_why(self):
        result = self.check_config(WEB_CONCURRENCY="3")
        assert result.returncode != 0
        assert "gunicorn refuses to start: WEB_CONCURRENCY is 3 but REDIS_URL is not set" in (
            result.stderr
        )
        assert WHY in result.stderr

    def test_starts_with_redis_or_with_one_worker(self):
        for env in ({"WEB_CONCURRENCY": "3", "REDIS_URL": "redis://127.0.0.1:6379/9"}, {}):
            result = self.check_config(**env)
            assert result.returncode == 0, result.stderr

    def test_settings(self, monkeypatch):
        monkeypatch.setenv("WEB_CONCURRENCY", "3")
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/9")
        monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
        monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
        conf = runpy.run_path(str(GUNICORN_CONF))
        assert conf["bind"] == ["0.0.0.0:9000"]
        assert conf["workers"] == 3
        assert conf["worker_class"] == "sync"
        assert conf["graceful_timeout"] >= conf["timeout"] >= 30
        assert conf["max_requests"] > 0 < conf["max_requests_jitter"]
        assert conf["accesslog"] is None
        # When switched on, the access log leaves out the query string, the full request
        # line (which holds it), the referrer, the user agent and the client's address.
        for personal in ("%(q)s", "%(r)s", "%(f)s", "%(a)s", "%(h)s", "%({"):
            assert personal not in conf["access_log_format"]

    def test_default_is_one_worker_on_the_varnish_backend_address(self, monkeypatch):
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
        monkeypatch.delenv("GUNICORN_BIND", raising=False)
        conf = runpy.run_path(str(GUNICORN_CONF))
        assert conf["workers"] == 1
        assert conf["bind"] == ["127.0.0.1:8000"]
        refused = pytest.raises(SystemExit, match="REDIS_URL is not set")
        monkeypatch.setenv("WEB_CONCURRENCY", "2")
        monkeypatch.delenv("REDIS_URL", raising=False)
        with refused:
            runpy.run_path(str(GUNICORN_CONF))

    def test_a_worker_leaves_what_it_loaded_out_of_garbage_collection(self):
        # In a process of its own: freezing is for the rest of a process's life.
        script = (
            "import gc, runpy, django; django.setup(); "
            f"conf = runpy.run_path({str(GUNICORN_CONF)!r}); "
            "before = gc.get_freeze_count(); conf['post_worker_init'](None); "
            "import sys; sys.modules['cms.urls']; "
            "print(before, gc.get_freeze_count())"
        )
        result = _in_a_process_of_its_own(script)
        before, frozen = map(int, result.stdout.split())
        # The URLconf (every app's views) was imported first, and then everything was frozen.
        assert before == 0 and frozen > 100_000

    def test_a_worker_freezes_what_its_first_requests_made_once(self):
        script = (
            "import gc, runpy, types, django; django.setup(); "
            f"conf = runpy.run_path({str(GUNICORN_CONF)!r}); "
            "after = conf['FREEZE_AFTER_REQUESTS']; counts = []; "
            "made = []\n"
            "for nr in range(1, after + 3):\n"
            "    made.append([object() for _ in range(100)])\n"
            "    conf['post_request'](types.SimpleNamespace(nr=nr), None, {}, None)\n"
            "    counts.append(gc.get_freeze_count())\n"
            "print(after, *counts)"
        )
        result = _in_a_process_of_its_own(script)
        after, *counts = map(int, result.stdout.split())
        # Nothing frozen before that request, everything made so far at it, nothing after.
        assert set(counts[: after - 1]) == {0}
        assert counts[after - 1] > 0 and counts[after:] == [counts[after - 1]] * 2
