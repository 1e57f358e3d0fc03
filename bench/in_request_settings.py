"""Settings for `python -m bench purge-storm --in-request`: production, but the first reader of
each page after a purge renders it in its own request (PAGE_CACHE_REFRESH_QUEUE = 0), as before
the background renderer (home/page_cache/refresh.py): what rendering after the response saves."""

from bench.storm_settings import *  # noqa: F403

PAGE_CACHE_REFRESH_QUEUE = 0
