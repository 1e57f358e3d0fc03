"""Settings for the bench's *uncached* server: production, with no path served from the page
cache, so every request renders its page, with the shared fragments and the per-process site
snapshot a running server has (as for the first reader after a publish, or a new query
string). `python -m bench` starts it with DJANGO_SETTINGS_MODULE=bench.uncached_settings."""

from cms.settings.production import *  # noqa: F403

PAGE_CACHE_SKIP_PATHS = ("/",)
