"""Production settings for more than one machine: shared cache, shared media store."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _production_setting(expression, **env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": "settings-test-" + uuid.uuid4().hex,
        **env,
    }
    if "AWS_STORAGE_BUCKET_NAME" not in env:
        environment.pop("AWS_STORAGE_BUCKET_NAME", None)
    code = f"import django; django.setup()\nfrom django.conf import settings\nprint({expression})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_redis_url_makes_the_cache_shared():
    result = _production_setting(
        "settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']",
        REDIS_URL="redis://127.0.0.1:6379/5",
    )
    assert result.returncode == 0, result.stderr
    assert "RedisCache" in result.stdout
    assert "redis://127.0.0.1:6379/5" in result.stdout


def test_media_stays_on_disk_without_a_bucket():
    result = _production_setting("settings.STORAGES['default']['BACKEND']")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage"


def test_naming_a_bucket_without_django_storages_stops_start_up_with_the_steps():
    result = _production_setting(
        "settings.STORAGES['default']['BACKEND']", AWS_STORAGE_BUCKET_NAME="media-bucket"
    )
    assert result.returncode != 0
    assert "django-storages is not installed" in result.stderr
    assert "docs/scaling.md" in result.stderr
