"""Settings for `python -m bench audit`'s server: production, plus the uploaded images.

In a deployment the server in front of gunicorn (or the media bucket) answers /media/;
gunicorn alone has nothing there, and every image would be a 404 in the audit. This adds
only that (bench/audit_urls.py)."""

from cms.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.audit_urls"
