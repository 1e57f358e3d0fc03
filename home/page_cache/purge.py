"""The purge API and the dependents registry: forgetting what no longer shows the truth.

Purges replace version tokens (home/page_cache/keys.py) and announce it to every process's
local layer. They happen at once and again when the transaction commits, so a page rendered
in another process from the pre-commit data meanwhile is not kept either.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from wagtail.models import Site

from home.page_cache.conf import setting
from home.page_cache.edge import purge_edge_everything, purge_edge_paths
from home.page_cache.keys import (
    EPOCH_KEY,
    GENERATION_KEY,
    new_token,
    normalise_path,
    path_key,
)
from home.page_cache.local import existing_local_layer, publish
from home.page_cache.recovery import record_missed_purge
from home.page_cache.revalidate import note_replaced

logger = logging.getLogger(__name__)


def purge_all(allow_stale=True, *, edge=True):
    """Forget every cached page in every process (site settings, snippets, images changed),
    and at the edge (home/page_cache/edge.py) unless ``edge=False``.

    Anonymous readers may still be served a page's previous copy, for at most
    PAGE_CACHE_STALE_SECONDS, while one request renders it again (home/page_cache/revalidate.py);
    ``allow_stale=False`` also replaces the epoch, so no earlier copy is ever served again
    (access rules changed, something must disappear at once)."""
    if edge:
        # Registered before Redis is touched: the edge is purged whatever Redis does.
        purge_edge_everything()
    replaced = cache.get(GENERATION_KEY)
    tokens = {GENERATION_KEY: new_token()}
    if not allow_stale:
        tokens[EPOCH_KEY] = new_token()
    missed = cache.set_many(tokens, timeout=None)
    if allow_stale and replaced and not missed:
        note_replaced(replaced)
    _announce("*", missed)
    layer = existing_local_layer()
    if layer is not None:
        layer.clear()


def purge_paths(paths, *, edge=True):
    """Forget the cached pages at these paths (every host, every query-string variant), and
    at the edge (home/page_cache/edge.py) unless ``edge=False``."""
    paths = [path for path in paths if path]
    if edge:
        purge_edge_paths(normalise_path(path) for path in paths)
    keys = {path_key(path) for path in paths}
    if keys:
        missed = cache.set_many({key: new_token() for key in keys}, timeout=None)
        _announce("\n".join(sorted(keys)), missed)
        # This thread's own memory at once; other threads and processes through the message.
        layer = existing_local_layer()
        if layer is not None:
            layer.forget(keys)
    return keys


def _announce(message, missed):
    """Tell the other processes; if Redis did not take the purge, make sure it is made up
    for when Redis is back (home/page_cache/recovery.py) instead of failing the publish."""
    if missed or not publish(message):
        logger.warning("page cache: a purge could not reach Redis; it is made up for later")
        record_missed_purge()


def on_commit_too(func, *args):
    """Run now (so this process and tests see it at once) and again after commit, so a page
    rendered from the pre-commit data in another process meanwhile is not kept. The edge is
    told by the first run, which waits for the commit itself (home/page_cache/edge.py)."""
    func(*args)
    transaction.on_commit(lambda: func(*args, edge=False))


_dependents = []


def register_dependents(func):
    """Register ``func(page) -> iterable of pages or URL paths`` that show ``page``.

    Usable as a decorator. Called for the page being published, unpublished, moved or
    deleted; whatever it returns is purged with the page.
    """
    _dependents.append(func)
    return func


def unregister_dependents(func):
    if func in _dependents:
        _dependents.remove(func)


def page_paths(page, url_path=None, root_paths=None):
    """Every site-relative path the page is served at (one per site it belongs to).

    ``root_paths`` (Site.get_site_root_paths()) may be passed in when asking for many pages,
    to look the sites up once."""
    url_path = url_path or page.url_path
    if not url_path:
        return set()
    if root_paths is None:
        root_paths = Site.get_site_root_paths()
    paths = set()
    for root in root_paths:
        if url_path.startswith(root.root_path):
            paths.add("/" + url_path[len(root.root_path) :])
    return paths


def _as_paths(item):
    if isinstance(item, str):
        return {normalise_path(item)}
    return page_paths(item)


def paths_showing(page, url_path=None):
    """The page's own paths, its ancestors' (the index, the home page), its descendants'
    (their breadcrumbs and fact panels name it, their addresses start with its slug), the
    site-wide lists (sitemap, feed) and whatever the registered dependents say shows it."""
    root_paths = Site.get_site_root_paths()
    paths = set(page_paths(page, url_path, root_paths))
    for ancestor in page.get_ancestors().filter(depth__gt=1).only("url_path"):
        paths |= page_paths(ancestor, root_paths=root_paths)
    if page.pk and page.path:
        for descendant in page.get_descendants().only("url_path"):
            paths |= page_paths(descendant, root_paths=root_paths)
    paths |= {normalise_path(path) for path in setting("PAGE_CACHE_ALWAYS_PURGE")}
    for func in list(_dependents):
        try:
            for item in func(page) or ():
                paths |= _as_paths(item)
        except Exception:
            # A broken dependent must not stop the page's own purge (or the publish).
            logger.exception("page cache dependent %r failed for page %s", func, page.pk)
    return paths


def purge_pages(pages):
    """Forget the given pages and every page that shows them."""
    paths = set()
    for page in pages:
        paths |= paths_showing(page)
    on_commit_too(purge_paths, paths)
    return paths
