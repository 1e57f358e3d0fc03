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
  replaced by :func:`purge_paths` (publishing, unpublishing, moving or deleting a page).

A lookup fetches both tokens and the entry in one round trip (``get_many``) and serves the
entry only if its tokens are still current. Tokens are random, not counters, so a token that
was evicted and re-created can never match an old entry. Because the tokens are read before
rendering, a page rendered from data older than a purge is stored under the old token and is
never served. Purges happen at once and again when the transaction commits.

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

import hashlib
import logging
import re
import secrets
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
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
    # (the cookie banner lists the consent groups).
    "PAGE_CACHE_PURGE_ALL_MODELS": ("cookie_consent.CookieGroup", "cookie_consent.Cookie"),
    # Models whose saves never change what pages show, even if registered as snippets.
    "PAGE_CACHE_IGNORE_MODELS": ("leads.Lead",),
    # Benchmark only: honour an `X-Bench-Bypass: 1` header to measure the uncached page.
    "PAGE_CACHE_BENCH_BYPASS": False,
    # Add `X-Cache-Reason` explaining a BYPASS (tests and development).
    "PAGE_CACHE_EXPLAIN": False,
}

_PAIR = r"[\w.:+-]{1,40}=[\w.:+-]{0,40}"
_VARY_COOKIE_VALUE = re.compile(rf"^{_PAIR}(\|{_PAIR}){{0,9}}$")


def _setting(name):
    return getattr(settings, name, DEFAULTS[name])


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


# --------------------------------------------------------------------------------------------
# Purge API


def purge_all():
    """Forget every cached page in every process (site settings, snippets, images changed)."""
    cache.set(_GENERATION_KEY, _new_token(), timeout=None)


def purge_paths(paths):
    """Forget the cached pages at these paths (every host, every query-string variant)."""
    keys = {_path_key(path) for path in paths if path}
    if keys:
        cache.set_many({key: _new_token() for key in keys}, timeout=None)
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


def page_paths(page, url_path=None):
    """Every site-relative path the page is served at (one per site it belongs to)."""
    from wagtail.models import Site

    url_path = url_path or page.url_path
    if not url_path:
        return set()
    paths = set()
    for root in Site.get_site_root_paths():
        if url_path.startswith(root.root_path):
            paths.add("/" + url_path[len(root.root_path) :])
    return paths


def _as_paths(item):
    if isinstance(item, str):
        return {normalise_path(item)}
    return page_paths(item)


def paths_showing(page, url_path=None):
    """The page's own paths, its ancestors' (the index, the home page), the site-wide lists
    (sitemap, feed) and whatever the registered dependents say shows it."""
    paths = set(page_paths(page, url_path))
    for ancestor in page.get_ancestors().filter(depth__gt=1).only("url_path"):
        paths |= page_paths(ancestor)
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
    query = "&".join(f"{name}={value}" for name, value in sorted(params))
    if len(params) > _setting("PAGE_CACHE_MAX_QUERY_PARAMS") or len(query) > _setting(
        "PAGE_CACHE_MAX_QUERY_LENGTH"
    ):
        return None, "query"
    request._page_cache_tracked = tracked

    raw = "\n".join((request.scheme, request.get_host(), path, query, *vary_parts))
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

        found = _get_many([_GENERATION_KEY, path_key, entry_key])
        generation, path_token = found.get(_GENERATION_KEY), found.get(path_key)
        entry = found.get(entry_key)
        if generation is None or path_token is None:
            generation, path_token = _current_tokens(path_key)
        if entry and entry[0] == generation and entry[1] == path_token:
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


def _on_page_moved(sender, instance, url_path_before, url_path_after, **kwargs):
    # The page and its whole subtree changed address: purge the old addresses (now 404 or
    # redirects), the new ones, and both parents' listings.
    paths = paths_showing(instance, url_path_before) | paths_showing(instance, url_path_after)
    parent_before = kwargs.get("parent_page_before")
    if parent_before is not None:
        paths |= paths_showing(parent_before)
    for descendant in instance.get_descendants().only("url_path"):
        paths |= page_paths(descendant)
        if descendant.url_path.startswith(url_path_after):
            old = url_path_before + descendant.url_path[len(url_path_after) :]
            paths |= page_paths(descendant, old)
    _on_commit_too(purge_paths, paths)


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


def _on_model_changed(sender, instance, update_fields=None, **kwargs):
    from wagtail.models import Page

    if issubclass(sender, Page) or _is_bookkeeping(update_fields):
        return
    if _purges_everything(sender):
        _on_commit_too(purge_all)


def connect_signals():
    from django.db.models.signals import post_delete, post_save, pre_delete
    from wagtail.models import Page
    from wagtail.signals import page_published, page_unpublished, post_page_move

    page_published.connect(_on_page_published, dispatch_uid="page_cache_published")
    page_unpublished.connect(_on_page_unpublished, dispatch_uid="page_cache_unpublished")
    post_page_move.connect(_on_page_moved, dispatch_uid="page_cache_moved")
    pre_delete.connect(_on_page_deleted, sender=Page, dispatch_uid="page_cache_page_deleted")
    post_save.connect(_on_page_saved, dispatch_uid="page_cache_page_saved")
    # Any model: which ones matter (snippets are registered late) is decided per save.
    post_save.connect(_on_model_changed, dispatch_uid="page_cache_model_saved")
    post_delete.connect(_on_model_changed, dispatch_uid="page_cache_model_deleted")


def is_page_cache_model(model_label):
    """For tests and checks: does saving this model purge the whole page cache?"""
    return _purges_everything(apps.get_model(model_label))
