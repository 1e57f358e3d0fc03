"""Settings for `python -m bench purge-storm --no-stale`: production, but no previous copy is
ever served after a purge (PAGE_CACHE_STALE_SECONDS = 0), so each page's readers after a purge
wait for its one render or render it themselves: what the storm costs without the copies."""

from bench.storm_settings import *  # noqa: F403

PAGE_CACHE_STALE_SECONDS = 0
