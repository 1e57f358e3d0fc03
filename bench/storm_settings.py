"""Settings for `python -m bench purge-storm`: production, plus `X-Cache-Reason` on every
previous copy served (PAGE_CACHE_EXPLAIN), so the run can tell which readers handed their page
to the background renderer ("refreshing") and count renders per page. Only a header differs."""

from cms.settings.production import *  # noqa: F403

PAGE_CACHE_EXPLAIN = True
