"""Settings for the bench's *cold* server: production with the page cache off, so every
request renders its whole page without shared fragments, as for the first reader of each page
after a site-wide purge. The per-process site snapshot stays, as in any running process
(docs/scaling.md, "Render cost"). `python -m bench` starts it with
DJANGO_SETTINGS_MODULE=bench.cold_settings."""

from cms.settings.production import *  # noqa: F403

PAGE_CACHE_ENABLED = False
