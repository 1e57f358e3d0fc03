"""The test suite: fast and isolated.

DATABASE_URL selects PostgreSQL; SQLite in memory otherwise."""

import os
import tempfile
from pathlib import Path

import dj_database_url

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105 - never used outside the test suite
ALLOWED_HOSTS = ["*"]
if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse("sqlite://:memory:")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
LEADS_NOTIFY_TO = ["claims@example.test"]
# No hand-off unless a test names a receiver, whatever LEADS_WEBHOOK_URL says.
LEADS_WEBHOOK_URL = ""
LEADS_WEBHOOK_SECRET = ""
WHITENOISE_USE_FINDERS = True
PAGE_CACHE_EXPLAIN = True
# After a site-wide purge the first reader renders the page in its request, as with the
# immediate tasks backend: a test reading a page twice sees the new copy without waiting for
# the background renderer. tests/home/test_revalidate.py runs with production's renderer.
PAGE_CACHE_REFRESH_QUEUE = 0
# No edge cache unless a test starts one, whatever FRONTEND_CACHE_URL says.
WAGTAILFRONTENDCACHE = {}
# Each test process writes the offline contact copy in its own place, never the checkout's var/.
OFFLINE_COPY_PATH = Path(tempfile.mkdtemp(prefix="cms-tests-")) / "offline-contact.json"
# The lead spool: no stream unless a test gives one, and a directory of this process's own.
LEADS_SPOOL_REDIS_URL = ""
LEADS_SPOOL_DIR = str(OFFLINE_COPY_PATH.parent / "lead-spool")
# Page views: handed over when a test folds them, not by a background thread.
LEADS_COUNT_REDIS_URL = ""
LEADS_COUNT_FLUSH_SECONDS = 0
