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
    for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_S3_CUSTOM_DOMAIN"):
        if name not in env:
            environment.pop(name, None)
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


def test_naming_a_bucket_puts_media_in_it_and_lets_pages_show_its_images():
    result = _production_setting(
        "settings.STORAGES['default']['BACKEND'],"
        "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'],"
        "settings.CONTENT_SECURITY_POLICY_ADMIN['DIRECTIVES']['img-src'],"
        "getattr(settings, 'PAGE_CACHE_LOCAL_ENTRIES', 'default'), sep='|'",
        AWS_STORAGE_BUCKET_NAME="media-bucket",
        AWS_S3_ENDPOINT_URL="https://minio.internal:9000",
    )
    assert result.returncode == 0, result.stderr
    backend, public_img_src, admin_img_src, local_entries = result.stdout.strip().split("|")
    assert backend == "cms.storage.MediaStorage"
    assert "'https://minio.internal:9000'" in public_img_src
    assert "'https://minio.internal:9000'" in admin_img_src
    # Signed image URLs expire; the page cache's per-process layer keeps pages indefinitely.
    assert local_entries == "0"


def test_behind_a_cdn_images_come_from_its_domain_and_pages_stay_in_memory():
    result = _production_setting(
        "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'],"
        "getattr(settings, 'PAGE_CACHE_LOCAL_ENTRIES', 'default'), sep='|'",
        AWS_STORAGE_BUCKET_NAME="media-bucket",
        AWS_S3_CUSTOM_DOMAIN="media.example.co.uk",
    )
    assert result.returncode == 0, result.stderr
    img_src, local_entries = result.stdout.strip().split("|")
    assert "'https://media.example.co.uk'" in img_src
    assert local_entries == "default"
