"""A shared page cache for anonymous readers, and the purge API that keeps it honest.

What it is for: a burst of readers (a news story, a mailing) must be served from the shared
cache (Redis when ``REDIS_URL`` is set) without rendering the page again, while nobody ever
sees a stale page after an editor publishes, or another visitor's page.

How it stays correct across processes
-------------------------------------
Each stored entry carries two version tokens read *before* the page was rendered:

* the **generation**, one token for the whole site, replaced by :func:`purge_all` (site
  settings, snippets, images: anything that can appear on many pages);
* the **path version**, one token per URL path (every query-string variant of that path),
  replaced by :func:`purge_paths` (publishing, unpublishing, moving, re-slugging or deleting
  a page: its own paths, its ancestors', its descendants' and its old addresses).

A lookup fetches both tokens and the entry in one round trip (``get_many``) and serves the
entry only if its tokens are still current. With Redis, each process also keeps recent
entries and tokens in memory, emptied by purge messages on a Redis pub/sub channel that it
reads before every use (see ``_LocalLayer``), so most hits need no round trip at all; shared
fragments (``fragment_lookup``) are kept there the same way.

Tokens are random, not counters, so a token that was evicted and re-created can never match
an old entry. Because the tokens are read before rendering, a page rendered from data older
than a purge is stored under the old token and is never served. Purges happen at once and
again when the transaction commits.

Hooking in (other apps)
-----------------------
* ``register_dependents(func)``: ``func(page)`` returns pages or URL paths that show ``page``
  (e.g. case studies listing it as related, a routable index's sub-routes); they are purged with it.
* ``mark_uncacheable(request)``: a view whose output belongs to one visitor (a form's result,
  a per-visitor token) calls this, and the response is neither stored nor served from the cache.
  Using ``{% csrf_token %}`` does this automatically (the CSRF cookie is set), as does any
  response that sets a cookie or says ``private``/``no-store``.
* ``purge_paths([...])``, ``purge_pages([...])``, ``purge_all()``: for code that changes what
  pages show without going through the page or snippet signals (bulk ``.update()`` calls).
"""

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from urllib.parse import unquote, urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

HIT, MISS, BYPASS = "HIT", "MISS", "BYPASS"

_GENERATION_KEY = "pagecache:gen"
_PATH_PREFIX = "pagecache:path:"
_ENTRY_PREFIX = "pagecache:entry:"

# Campaign and click identifiers: they change nothing on the page (the call-back form reads
# them in the browser), so they are dropped from the key instead of splitting the cache.
TRACKING_PARAM_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {
        "gclid",
        "gbraid",
        "wbraid",
        "dclid",
        "fbclid",
        "msclkid",
        "yclid",
        "ttclid",
        "twclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
    }
)

DEFAULTS = {
    "PAGE_CACHE_ENABLED": True,
    # Server-side lifetime. Purges make a long one safe; the TTL only bounds memory.
    "PAGE_CACHE_TIMEOUT": 600,
    # For a CDN in front: it may keep a page for a minute and serve it a little stale while it
    # refetches; browsers keep it briefly and, because stored pages vary on Cookie, refetch as
    # soon as the visitor's cookies change (logging in, a flash message after a form POST).
    "PAGE_CACHE_CONTROL": "public, max-age=30, s-maxage=60, stale-while-revalidate=60",
    # Paths never stored or served from the cache: the admin, search, consent, form posts.
    "PAGE_CACHE_SKIP_PATHS": (
        "/admin/",
        "/django-admin/",
        "/documents/",
        "/media/",
        "/static/",
        "/search/",
        "/cookies/",
    ),
    # A request carrying any of these is one visitor's own: never served from nor stored in the
    # cache. The session cookie is added at run time (SESSION_COOKIE_NAME).
    "PAGE_CACHE_PRIVATE_COOKIES": ("messages",),
    # Cookies whose (low-cardinality) value changes the page for everyone who has the same
    # value: the consent choice ("group=version|group=-1"). Part of the key, never shared
    # between different values. Anything that does not look like such a value bypasses.
    "PAGE_CACHE_VARY_COOKIES": ("cookie_consent",),
    # Beyond these, a query string is someone's cache-busting, not a page: served, not stored.
    "PAGE_CACHE_MAX_QUERY_PARAMS": 4,
    "PAGE_CACHE_MAX_QUERY_LENGTH": 200,
    # Always purged when any page is published, unpublished, moved or deleted.
    "PAGE_CACHE_ALWAYS_PURGE": ("/sitemap.xml", "/case-studies/feed/"),
    # Models that are not snippets or settings but whose saves change what every page shows
    # (the cookie banner lists the consent groups; a view restriction hides a whole subtree).
    "PAGE_CACHE_PURGE_ALL_MODELS": (
        "cookie_consent.CookieGroup",
        "cookie_consent.Cookie",
        "wagtailcore.PageViewRestriction",
    ),
    # Models whose saves never change what pages show, even if registered as snippets.
    "PAGE_CACHE_IGNORE_MODELS": ("leads.Lead",),
    # Entries each process keeps in memory, kept honest by Redis pub/sub (0: off). Only with
    # the Redis backend; see _LocalLayer.
    "PAGE_CACHE_LOCAL_ENTRIES": 500,
    # Benchmark only: honour an `X-Bench-Bypass: 1` header to measure the uncached page
    # (`X-Bench-Bypass: cold`: without shared fragments and the site snapshot either).
    "PAGE_CACHE_BENCH_BYPASS": False,
    # Add `X-Cache-Reason` explaining a BYPASS (tests and development).
    "PAGE_CACHE_EXPLAIN": False,
    # Fragments of pages ({% shared_fragment %}) kept in the shared cache for page-cache misses
    # (bypassed readers, new query strings, the first reader after a purge); see
    # fragment_lookup. Off when the page cache is off.
    "PAGE_FRAGMENTS_ENABLED": True,
}

_PAIR = r"[\w.:+-]{1,40}=[\w.:+-]{0,40}"
_VARY_COOKIE_VALUE = re.compile(rf"^{_PAIR}(\|{_PAIR}){{0,9}}$")


_settings_seen = {}


def _setting(name):
    # Read on every request: a dict lookup rather than Django's lazy settings object, emptied
    # whenever a setting changes (override_settings in tests).
    try:
        return _settings_seen[name]
    except KeyError:
        value = _settings_seen[name] = getattr(settings, name, DEFAULTS[name])
        return value


def _forget_settings(**kwargs):
    _settings_seen.clear()


setting_changed.connect(_forget_settings, dispatch_uid="page_cache_settings")


# --------------------------------------------------------------------------------------------
# Version tokens and keys


def _digest(value):
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalise_path(path_or_url):
    """The decoded path of a URL or path, so '/caf%C3%A9/' and '/café/' share a version."""
    path = urlsplit(path_or_url).path or "/"
    return unquote(path)


def _path_key(path):
    return _PATH_PREFIX + _digest(normalise_path(path))


def _new_token():
    return secrets.token_hex(8)


def _current_tokens(path_key):
    """The generation and path tokens, creating any that are missing (first use, eviction)."""
    found = cache.get_many([_GENERATION_KEY, path_key])
    missing = [key for key in (_GENERATION_KEY, path_key) if key not in found]
    for key in missing:
        # add() keeps a token another process created meanwhile; then re-read the winner.
        cache.add(key, _new_token(), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    return found.get(_GENERATION_KEY), found.get(path_key)


def _get_many(keys):
    """cache.get_many, minus the cost of a new Redis client object per call on the hot path.

    Django's Redis backend builds a `redis.Redis` for every operation (about a fifth of a
    cache hit's time); a hit needs one MGET, so keep one client per backend instance and use
    the backend's own key function and serializer. Any other backend: plain get_many.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend.get_many(keys)
    client = backend.__dict__.get("_page_cache_client")
    if client is None:
        client = backend.__dict__["_page_cache_client"] = backend._cache.get_client()
    values = client.mget([backend.make_and_validate_key(key) for key in keys])
    loads = backend._cache._serializer.loads
    return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}


_CHANNEL = "pagecache:purged"


def _redis_backend():
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _publish(message):
    """Tell every process's local layer what was purged ('*' for everything)."""
    backend = _redis_backend()
    if backend is not None:
        client = backend._cache.get_client(write=True)
        client.publish(backend.make_and_validate_key(_CHANNEL), message)


class _LocalLayer:
    """A process's own copy of recent entries and tokens, so a hit need not ask Redis.

    It is trusted only while its pub/sub subscription to the purge channel is alive: before
    each use every purge message already delivered is applied (a non-blocking read, no
    thread), a PING every second proves the connection, and a (re)subscription, an error or
    two seconds without a PONG empties it. So a purge that has returned in any process is seen
    here on the next request, like the tokens in Redis.
    """

    PING_EVERY = 1.0
    DEAD_AFTER = 2.5

    def __init__(self, backend, size):
        self.backend = backend
        self.size = size
        self.pid = os.getpid()
        self.entries = OrderedDict()
        self.fragments = OrderedDict()
        self.tokens = {}
        self.bytes = 0
        self.pubsub = None
        self.last_pong = 0.0
        self.last_ping = 0.0
        self.retry_at = 0.0
        self.reconnected = False

    def _on_connect(self, connection):
        self.reconnected = True

    def clear(self):
        self.entries.clear()
        self.fragments.clear()
        self.tokens.clear()
        self.bytes = 0

    def forget(self, keys):
        for key in keys:
            self.tokens.pop(key, None)

    def _close(self):
        self.clear()
        if self.pubsub is not None:
            with contextlib.suppress(Exception):  # already broken; being discarded
                self.pubsub.close()
        self.pubsub = None
        self.retry_at = time.monotonic() + 5

    def usable(self):
        now = time.monotonic()
        if self.pubsub is None:
            if now < self.retry_at:
                return False
            try:
                client = self.backend._cache.get_client()
                self.pubsub = client.pubsub()
                self.pubsub.subscribe(self.backend.make_and_validate_key(_CHANNEL))
                # redis-py reconnects and resubscribes by itself; purges published while it
                # was away were missed, so every reconnection empties this layer.
                self.pubsub.connection.register_connect_callback(self._on_connect)
            except Exception:
                logger.warning("page cache: no purge subscription; local layer off for now")
                self._close()
                return False
        try:
            if now - self.last_ping > self.PING_EVERY:
                self.pubsub.ping()
                self.last_ping = now
            while True:
                message = self.pubsub.get_message(timeout=0)
                if message is None:
                    break
                kind = message["type"]
                if kind == "pong":
                    self.last_pong = now
                elif kind == "subscribe":
                    # (Re)connected: anything published meanwhile was missed.
                    self.clear()
                    self.last_pong = now
                elif kind == "message":
                    data = message["data"].decode()
                    if data == "*":
                        self.clear()
                    else:
                        self.forget(data.split("\n"))
            if self.reconnected:
                self.reconnected = False
                self.clear()
        except Exception:
            logger.warning("page cache: purge subscription lost; local layer off for now")
            self._close()
            return False
        return now - self.last_pong < self.DEAD_AFTER

    MAX_BYTES = 32 * 1024 * 1024

    def remember(self, entry_key, entry, tokens):
        size = len(entry[4])
        if size > self.MAX_BYTES // 16:
            return
        self.tokens.update(tokens)
        if len(self.tokens) > 20 * self.size:
            self.tokens.clear()
        old = self.entries.pop(entry_key, None)
        if old is not None:
            self.bytes -= len(old[4])
        self.entries[entry_key] = entry
        self.bytes += size
        while len(self.entries) > self.size or self.bytes > self.MAX_BYTES:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= len(dropped[4])

    def remember_fragment(self, entry_key, entry, tokens):
        """Like remember(), for a shared fragment: (tokens, html), checked the same way."""
        self.tokens.update(tokens)
        self.fragments.pop(entry_key, None)
        self.fragments[entry_key] = entry
        while len(self.fragments) > 2 * self.size:
            self.fragments.popitem(last=False)


_local = threading.local()


def _local_layer():
    size = _setting("PAGE_CACHE_LOCAL_ENTRIES")
    backend = _redis_backend()
    if not size or backend is None:
        return None
    layer = getattr(_local, "layer", None)
    if layer is None or layer.backend is not backend or layer.pid != os.getpid():
        # New thread, new backend (settings changed in tests) or a forked worker.
        layer = _local.layer = _LocalLayer(backend, size)
    return layer


def _checked_local_layer(request=None):
    """The local layer if it can be trusted now, or None; asked once per request, so the
    parts of one page (its fragments, the site snapshot) all see the same purges."""
    local = _local_layer()
    if local is None:
        return None
    usable = getattr(request, "_page_cache_local_usable", None)
    if usable is None:
        usable = local.usable()
        if request is not None:
            request._page_cache_local_usable = usable
    return local if usable else None


# --------------------------------------------------------------------------------------------
# Purge API


def purge_all():
    """Forget every cached page in every process (site settings, snippets, images changed)."""
    cache.set(_GENERATION_KEY, _new_token(), timeout=None)
    _publish("*")
    layer = getattr(_local, "layer", None)
    if layer is not None:
        layer.clear()


def purge_paths(paths):
    """Forget the cached pages at these paths (every host, every query-string variant)."""
    keys = {_path_key(path) for path in paths if path}
    if keys:
        cache.set_many({key: _new_token() for key in keys}, timeout=None)
        _publish("\n".join(sorted(keys)))
        # This thread's own memory at once; other threads and processes through the message.
        layer = getattr(_local, "layer", None)
        if layer is not None:
            layer.forget(keys)
    return keys


def _on_commit_too(func, *args):
    """Run now (so this process and tests see it at once) and again after commit, so a page
    rendered from the pre-commit data in another process meanwhile is not kept."""
    func(*args)
    transaction.on_commit(lambda: func(*args))


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
    from wagtail.models import Site

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
    from wagtail.models import Site

    root_paths = Site.get_site_root_paths()
    paths = set(page_paths(page, url_path, root_paths))
    for ancestor in page.get_ancestors().filter(depth__gt=1).only("url_path"):
        paths |= page_paths(ancestor, root_paths=root_paths)
    if page.pk and page.path:
        for descendant in page.get_descendants().only("url_path"):
            paths |= page_paths(descendant, root_paths=root_paths)
    paths |= {normalise_path(path) for path in _setting("PAGE_CACHE_ALWAYS_PURGE")}
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
    _on_commit_too(purge_paths, paths)
    return paths


# --------------------------------------------------------------------------------------------
# The middleware


def mark_uncacheable(request, reason="view"):
    """Keep this request's response out of the cache (its output belongs to one visitor)."""
    request._page_cache_uncacheable = reason


def _request_key(request):
    """(entry key, path key) for a cacheable request, or (None, reason) to bypass."""
    if not _setting("PAGE_CACHE_ENABLED"):
        return None, "disabled"
    if request.method not in ("GET", "HEAD"):
        return None, "method"
    if _setting("PAGE_CACHE_BENCH_BYPASS") and request.headers.get("X-Bench-Bypass"):
        # "cold": render as a fresh process would, without fragments or the site snapshot.
        request._page_cache_cold = request.headers["X-Bench-Bypass"] == "cold"
        return None, "bench"
    path = request.path
    if any(path.startswith(prefix) for prefix in _setting("PAGE_CACHE_SKIP_PATHS")):
        return None, "path"
    cookies = request.COOKIES
    private = (settings.SESSION_COOKIE_NAME, *_setting("PAGE_CACHE_PRIVATE_COOKIES"))
    if any(name in cookies for name in private):
        return None, "private-cookie"
    if "authorization" in request.headers:
        return None, "authorization"

    vary_parts = []
    for name in _setting("PAGE_CACHE_VARY_COOKIES"):
        value = cookies.get(name)
        if value is None:
            continue
        if not _VARY_COOKIE_VALUE.match(value):
            return None, "vary-cookie"
        vary_parts.append(f"{name}={'|'.join(sorted(value.split('|')))}")

    params = []
    tracked = False
    for name, values in request.GET.lists():
        if name in TRACKING_PARAMS or name.startswith(TRACKING_PARAM_PREFIXES):
            tracked = True
            continue
        params.extend((name, value) for value in values)
    # Encoded, so '?a=1%26b%3D2' and '?a=1&b=2' can never share an entry.
    query = urlencode(sorted(params))
    if len(params) > _setting("PAGE_CACHE_MAX_QUERY_PARAMS") or len(query) > _setting(
        "PAGE_CACHE_MAX_QUERY_LENGTH"
    ):
        return None, "query"
    request._page_cache_tracked = tracked

    raw = json.dumps([request.scheme, request.get_host(), path, query, vary_parts])
    return _ENTRY_PREFIX + _digest(raw), _path_key(path)


def _storable(request, response):
    """'' if this response may be shown to every anonymous reader, else why not."""
    if getattr(request, "_page_cache_uncacheable", None):
        return request._page_cache_uncacheable
    if getattr(request, "is_preview", False):
        return "preview"
    if request.method != "GET":
        return "method"
    if response.status_code != 200:
        return "status"
    if response.streaming:
        return "streaming"
    if response.cookies:
        return "sets-cookie"
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return "csrf"
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache", "max-age=0")):
        return "private-response"
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    if vary - {"cookie", "accept-encoding"}:
        return "vary"
    if getattr(request, "_page_cache_tracked", False):
        # Rendered with campaign parameters in the request: in case anything echoed them into
        # the page, keep this copy for this reader; the next plain request fills the cache.
        return "tracking-params"
    # Belt and braces: a CSRF token in the body is one visitor's, whatever set it.
    if b"csrfmiddlewaretoken" in response.content:
        return "csrf"
    return ""


def _stamp(response, state, reason=""):
    response["X-Cache"] = state
    if reason and _setting("PAGE_CACHE_EXPLAIN"):
        response["X-Cache-Reason"] = reason
    return response


class PageCacheMiddleware:
    """Serves anonymous GET/HEAD requests from the shared cache and stores cacheable pages.

    Sits first in MIDDLEWARE: a hit costs one cache round trip and no database query, and on a
    miss it sees the final response (security headers, cookies and all) before deciding to
    store it. The scheme is part of the key, so an http:// request (redirected to https by
    SecurityMiddleware, never stored) can never be answered with an https page or vice versa.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        entry_key, path_key_or_reason = _request_key(request)
        if entry_key is None:
            return self._bypass(request, self.get_response(request), path_key_or_reason)
        path_key = path_key_or_reason

        local = _checked_local_layer(request)
        if local is not None:
            generation = local.tokens.get(_GENERATION_KEY)
            path_token = local.tokens.get(path_key)
            entry = local.entries.get(entry_key)
            if generation and path_token and entry and entry[:2] == (generation, path_token):
                return self._hit(request, entry)

        found = _get_many([_GENERATION_KEY, path_key, entry_key])
        generation, path_token = found.get(_GENERATION_KEY), found.get(path_key)
        entry = found.get(entry_key)
        if generation is None or path_token is None:
            generation, path_token = _current_tokens(path_key)
        if entry and entry[0] == generation and entry[1] == path_token:
            if local is not None:
                local.remember(
                    entry_key, entry, {_GENERATION_KEY: generation, path_key: path_token}
                )
            return self._hit(request, entry)

        response = self.get_response(request)
        reason = _storable(request, response)
        if reason:
            return self._bypass(request, response, reason)
        if "Cache-Control" not in response:
            response["Cache-Control"] = _setting("PAGE_CACHE_CONTROL")
        patch_vary_headers(response, ("Cookie",))
        etag = '"' + hashlib.md5(response.content, usedforsecurity=False).hexdigest() + '"'
        response["ETag"] = etag
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in ("x-cache", "x-cache-reason", "set-cookie")
        ]
        entry = (generation, path_token, response.status_code, headers, response.content)
        cache.set(entry_key, entry, timeout=_setting("PAGE_CACHE_TIMEOUT"))
        # Not remembered locally: the tokens were read before rendering and may have been
        # replaced since; the next hit fetches entry and tokens together from Redis.
        return _stamp(response, MISS)

    def _hit(self, request, entry):
        _generation, _path_token, status, headers, content = entry
        etag = {name.lower(): value for name, value in headers}.get("etag")
        if etag and etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
            for name, value in headers:
                if name.lower() in ("etag", "cache-control", "vary"):
                    response[name] = value
            return _stamp(response, HIT)
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return _stamp(response, HIT)

    def _bypass(self, request, response, reason):
        # Whatever is not shared must not be kept by a CDN or proxy either (static files and
        # media keep whatever their server said).
        static = (settings.STATIC_URL or "/static/", settings.MEDIA_URL or "/media/")
        if (
            reason != "disabled"
            and "Cache-Control" not in response
            and not request.path.startswith(static)
        ):
            response["Cache-Control"] = "private, no-cache"
        return _stamp(response, BYPASS, reason)


# --------------------------------------------------------------------------------------------
# Fragments: parts of a page kept across requests, purged with the pages that show them

_FRAGMENT_PREFIX = "pagecache:fragment:"


def fragment_lookup(request, name, depends_on=None):
    """(cached html or None, store(html)) for the fragment `name` of this request's page.

    A fragment is kept per host, full path and name, with the generation token and the tokens
    of the paths it depends on (default: the request's own path) as they were *before* it was
    rendered, and used only while all are current: exactly when a cached copy of the page
    would be. So every purge rule of the page cache (publishing, related pages, snippets,
    settings) applies to fragments unchanged. One MGET per fragment.

    Never for previews, non-GET requests, logged-in users or when the page cache is off:
    those may show drafts or personal data. Returns (None, None) when not to cache.
    """
    if (
        request is None
        or not _setting("PAGE_CACHE_ENABLED")
        or not _setting("PAGE_FRAGMENTS_ENABLED")
        or request.method not in ("GET", "HEAD")
        or getattr(request, "is_preview", False)
        or getattr(request, "is_dummy", False)
        or getattr(request, "_page_cache_cold", False)
    ):
        return None, None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None, None
    paths = [request.path] if depends_on is None else list(depends_on)
    path_keys = [_path_key(path) for path in paths]
    entry_key = _FRAGMENT_PREFIX + _digest(f"{request.get_host()}|{request.get_full_path()}|{name}")
    local = _checked_local_layer(request)
    if local is not None:
        known = (local.tokens.get(_GENERATION_KEY), *[local.tokens.get(key) for key in path_keys])
        entry = local.fragments.get(entry_key)
        if entry and all(known) and entry[0] == known:
            return entry[1], None
    found = _get_many([_GENERATION_KEY, *path_keys, entry_key])
    if _GENERATION_KEY not in found or any(key not in found for key in path_keys):
        for key in path_keys:
            generation, found[key] = _current_tokens(key)
        found[_GENERATION_KEY] = generation
    tokens = (found[_GENERATION_KEY], *[found[key] for key in path_keys])
    entry = found.get(entry_key)
    if entry and entry[0] == tokens:
        if local is not None:
            local.remember_fragment(
                entry_key, entry, dict(zip([_GENERATION_KEY, *path_keys], tokens, strict=True))
            )
        return entry[1], None

    def store(html):
        cache.set(entry_key, (tokens, str(html)), timeout=_setting("PAGE_CACHE_TIMEOUT"))

    return None, store


def current_tokens(paths, request=None):
    """The generation token and these paths' tokens, as a tuple, or None when the page cache
    is off. Anything built from the database after this call and kept under the tuple is
    current exactly as long as the tuple is (see home/site_memo.py).

    This process's local layer answers without a round trip while its purge subscription is
    alive; otherwise one MGET."""
    if not _setting("PAGE_CACHE_ENABLED") or getattr(request, "_page_cache_cold", False):
        return None
    keys = [_GENERATION_KEY, *(_path_key(path) for path in paths)]
    local = _checked_local_layer(request)
    if local is not None:
        known = [local.tokens.get(key) for key in keys]
        if all(known):
            return tuple(known)
    found = _get_many(keys)
    if any(key not in found for key in keys):
        for key in keys[1:]:
            found[_GENERATION_KEY], found[key] = _current_tokens(key)
    tokens = tuple(found[key] for key in keys)
    if local is not None:
        # Safe to keep: a purge after this read arrives as a message, applied before next use.
        local.tokens.update(zip(keys, tokens, strict=True))
    return tokens


# --------------------------------------------------------------------------------------------
# Signals: what purges what


# Saves that only touch the editor's bookkeeping do not change the live page.
_BOOKKEEPING_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "has_unpublished_changes",
        "draft_title",
        "locked",
        "locked_at",
        "locked_by",
        "live_revision",
        "expired",
        "workflow_state",
        "file_size",
        "file_hash",
    }
)


def _is_bookkeeping(update_fields):
    return bool(update_fields) and set(update_fields) <= _BOOKKEEPING_FIELDS


def _on_page_published(sender, instance, **kwargs):
    purge_pages([instance])


def _on_page_unpublished(sender, instance, **kwargs):
    purge_pages([instance])


def _on_page_saved(sender, instance, update_fields=None, **kwargs):
    from wagtail.models import Page

    # Direct saves of live pages (scripts, demo loaders, tests) change what readers see too;
    # publishing from the admin also arrives here, which costs one more cheap purge.
    if isinstance(instance, Page) and instance.live and not _is_bookkeeping(update_fields):
        purge_pages([instance])


def _readdressed_paths(page, url_path_before, url_path_after):
    """A page and its whole subtree changed address (moved, or its slug changed): the old
    addresses (now 404s or Wagtail's redirects, which a cached page would hide), the new ones,
    and every page showing it at either."""
    from wagtail.models import Site

    root_paths = Site.get_site_root_paths()
    # The page's ancestors and dependents are the same at either address: only its own old
    # paths and its subtree's need adding to what shows it now.
    paths = paths_showing(page, url_path_after) | page_paths(page, url_path_before, root_paths)
    for descendant in page.get_descendants().only("url_path"):
        if descendant.url_path.startswith(url_path_after):
            old = url_path_before + descendant.url_path[len(url_path_after) :]
            paths |= page_paths(descendant, old, root_paths)
    return paths


def _on_page_moved(sender, instance, url_path_before, url_path_after, **kwargs):
    paths = _readdressed_paths(instance, url_path_before, url_path_after)
    parent_before = kwargs.get("parent_page_before")
    if parent_before is not None:
        # The old parent's listing showed it.
        paths |= paths_showing(parent_before)
    _on_commit_too(purge_paths, paths)


def _on_slug_changed(sender, instance, instance_before, **kwargs):
    # Wagtail sends this once the transaction has committed, so purge at once.
    purge_paths(_readdressed_paths(instance, instance_before.url_path, instance.url_path))


def _on_page_deleted(sender, instance, **kwargs):
    # pre_delete: the tree is still there to tell us the ancestors and dependents.
    purge_pages([instance])


def _purges_everything(model):
    from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
    from wagtail.documents.models import AbstractDocument
    from wagtail.images.models import AbstractImage
    from wagtail.models import Site
    from wagtail.snippets.models import get_snippet_models

    label = model._meta.label
    if label in _setting("PAGE_CACHE_IGNORE_MODELS"):
        return False
    if label in _setting("PAGE_CACHE_PURGE_ALL_MODELS"):
        return True
    if issubclass(
        model, (BaseSiteSetting, BaseGenericSetting, AbstractImage, AbstractDocument, Site)
    ):
        return True
    return model in get_snippet_models()


def _on_model_changed(sender, instance, update_fields=None, created=False, **kwargs):
    from wagtail.documents.models import AbstractDocument
    from wagtail.images.models import AbstractImage
    from wagtail.models import Page

    if issubclass(sender, Page) or _is_bookkeeping(update_fields):
        return
    if created and issubclass(sender, (AbstractImage, AbstractDocument)):
        # A new upload is on no page yet; publishing the page that uses it purges that page.
        return
    if _purges_everything(sender):
        _on_commit_too(purge_all)


def connect_signals():
    from django.db.models.signals import post_delete, post_save, pre_delete
    from wagtail.models import Page
    from wagtail.signals import (
        page_published,
        page_slug_changed,
        page_unpublished,
        post_page_move,
    )

    page_published.connect(_on_page_published, dispatch_uid="page_cache_published")
    page_unpublished.connect(_on_page_unpublished, dispatch_uid="page_cache_unpublished")
    post_page_move.connect(_on_page_moved, dispatch_uid="page_cache_moved")
    page_slug_changed.connect(_on_slug_changed, dispatch_uid="page_cache_slug_changed")
    pre_delete.connect(_on_page_deleted, sender=Page, dispatch_uid="page_cache_page_deleted")
    post_save.connect(_on_page_saved, dispatch_uid="page_cache_page_saved")
    # Any model: which ones matter (snippets are registered late) is decided per save.
    post_save.connect(_on_model_changed, dispatch_uid="page_cache_model_saved")
    post_delete.connect(_on_model_changed, dispatch_uid="page_cache_model_deleted")


def is_page_cache_model(model_label):
    """For tests and checks: does saving this model purge the whole page cache?"""
    return _purges_everything(apps.get_model(model_label))
