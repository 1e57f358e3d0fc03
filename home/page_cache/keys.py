"""Cache keys and version tokens: what an entry is stored under and when it is still current.

Each stored entry (a page, a fragment, a site snapshot) carries version tokens read *before*
it was built:

* the **generation**, one token for the whole site, replaced by ``purge_all`` (site settings,
  snippets, images: anything that can appear on many pages);
* the **path version**, one token per URL path (every query-string variant of that path),
  replaced by ``purge_paths`` (publishing, unpublishing, moving, re-slugging or deleting a
  page: its own paths, its ancestors', its descendants' and its old addresses).

A third token, the **epoch**, is replaced only by purges after which no earlier page may be
shown at all (access rules changed, Redis coming back after an outage); ordinary site-wide
purges keep it, so a page stored under the previous generation may still be served for a few
seconds while it is rendered again (home/page_cache/revalidate.py).

An entry is used only while its tokens are current. Tokens are random, not counters, so a
token that was evicted and re-created can never match an old entry; because they are read
before building, something built from data older than a purge is kept under the old token and
never used.
"""

import hashlib
import secrets
from urllib.parse import unquote, urlsplit

from django.core.cache import cache

GENERATION_KEY = "pagecache:gen"
PATH_PREFIX = "pagecache:path:"
ENTRY_PREFIX = "pagecache:entry:"
FRAGMENT_PREFIX = "pagecache:fragment:"
# Which query parameters the page at a path reads (home/page_cache/query.py).
DECLARED_PREFIX = "pagecache:declared:"
EPOCH_KEY = "pagecache:epoch"
# When each replaced generation was replaced (purge_all): how long its pages have been out of
# date, kept only as long as they may be served as a previous copy.
REPLACED_PREFIX = "pagecache:replaced:"
# One short-lived lock per entry key: the request that renders a page again after a purge.
FILL_PREFIX = "pagecache:fill:"
# The Redis pub/sub channel purges are announced on (home/page_cache/local.py).
CHANNEL = "pagecache:purged"


def digest(value):
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalise_path(path_or_url):
    """The decoded path of a URL or path, so '/caf%C3%A9/' and '/café/' share a version."""
    path = urlsplit(path_or_url).path or "/"
    return unquote(path)


def path_key(path):
    return PATH_PREFIX + digest(normalise_path(path))


def new_token():
    return secrets.token_hex(8)


def ensure_tokens(path_key):
    """The generation and path tokens, creating any that are missing (first use, eviction)."""
    found = cache.get_many([GENERATION_KEY, path_key])
    missing = [key for key in (GENERATION_KEY, path_key) if key not in found]
    for key in missing:
        # add() keeps a token another process created meanwhile; then re-read the winner.
        cache.add(key, new_token(), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    return found.get(GENERATION_KEY), found.get(path_key)
