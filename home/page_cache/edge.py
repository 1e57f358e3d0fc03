"""Purging the edge: the caches in front of the app servers (Varnish, a CDN) forget the same
paths the page cache forgets, through Wagtail's frontend cache (``WAGTAILFRONTENDCACHE``,
built from ``FRONTEND_CACHE_URL`` in cms/env.py).

The purge graph (home/page_cache/purge.py, signals.py) decides what a change touches; this
module only turns its paths into URLs on every site and hands them to Wagtail's
``purge_urls_from_cache``, which runs the purge as a task (the task worker in production), so
an editor's publish never waits for a CDN's API. Wagtail's own publish handlers are not used:
``wagtail.contrib.frontend_cache`` stays out of INSTALLED_APPS, because they would purge the
page alone, a second time, and miss its index, sitemap, feed and related pages.

Nothing here touches Redis: while it is unreachable the edge is still purged.
"""

import threading

from django.conf import settings
from django.db import transaction
from django.utils.encoding import iri_to_uri
from wagtail.contrib.frontend_cache.backends import CloudflareBackend
from wagtail.contrib.frontend_cache.utils import get_backends, purge_urls_from_cache
from wagtail.models import Page, Site

from home.page_cache.conf import setting
from home.page_cache.keys import normalise_path

# site.vcl bans every cached object for this path; CloudFront takes it as "everything".
EVERYTHING = "/*"


def edge_configured():
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def _urls(paths):
    """Each path on every site's root URL (the page cache's paths are per site, not host)."""
    roots = {root.root_url for root in Site.get_site_root_paths() if root.root_url}
    return sorted(root + iri_to_uri(path) for root in roots for path in paths)


def purge_edge_paths(paths):
    """Purge these paths at the edge once the transaction commits: a cache that refetched a
    page before then would keep the old version for its whole lifetime."""
    if edge_configured():
        _state.paths.update(paths)
        # robust: an edge that cannot be told must never fail a publish that has committed.
        transaction.on_commit(_flush, robust=True)


def purge_edge_everything():
    """Purge everything at the edge once the transaction commits."""
    if edge_configured():
        _state.everything = True
        transaction.on_commit(_flush, robust=True)


class _Pending(threading.local):
    """What this thread's transaction has asked the edge to forget. A publish purges from
    several signals; the first flush after the commit sends it all at once and the others
    find nothing left. What a rolled-back transaction asked goes out with the next flush:
    purging too much is harmless."""

    def __init__(self):
        self.paths = set()
        self.everything = False


_state = _Pending()


def _flush():
    paths, everything = sorted(_state.paths), _state.everything
    _state.paths, _state.everything = set(), False
    if everything:
        _send_everything(paths)
    elif paths:
        purge_urls_from_cache(_urls(paths))


def _send_everything(paths):
    # Varnish (site.vcl) and CloudFront take a wildcard; Cloudflare's URL purge does not, so
    # it is sent every live page's paths (their query-string variants wait out s-maxage).
    backends = get_backends()
    listed = sorted(name for name, b in backends.items() if isinstance(b, CloudflareBackend))
    wildcard = sorted(set(backends) - set(listed))
    if wildcard:
        purge_urls_from_cache(_urls([EVERYTHING]), backends=wildcard)
    if listed:
        purge_urls_from_cache(_urls(sorted({*paths, *every_live_path()})), backends=listed)


def every_live_path():
    """Every site-relative path a live page is served at, plus the site-wide lists."""
    paths = {normalise_path(path) for path in setting("PAGE_CACHE_ALWAYS_PURGE")}
    for root in Site.get_site_root_paths():
        for url_path in (
            Page.objects.live()
            .filter(url_path__startswith=root.root_path)
            .values_list("url_path", flat=True)
        ):
            paths.add("/" + url_path[len(root.root_path) :])
    return sorted(paths)
