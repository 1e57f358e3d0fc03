"""Settings for the bench's *cold* server: production with the page cache off, so every
request renders its page without shared fragments or the site snapshot, as a freshly started
process would. `python -m bench` starts it with DJANGO_SETTINGS_MODULE=bench.cold_settings."""

from cms.settings.production import *  # noqa: F403

PAGE_CACHE_ENABLED = False
