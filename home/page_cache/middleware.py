"""The middleware that serves anonymous readers from the shared cache, and its rules for what
may be stored or served (home/page_cache/keys.py says when a stored page is still current).

A lookup fetches both tokens and the entry in one round trip (``get_many``), or none at all
when this process's local layer (home/page_cache/local.py) holds them.
"""

import hashlib
import json
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from home.page_cache.conf import setting
from home.page_cache.keys import (
    DECLARED_PREFIX,
    ENTRY_PREFIX,
    GENERATION_KEY,
    digest,
    ensure_tokens,
    path_key,
)
from home.page_cache.local import checked_local_layer
from home.page_cache.query import (
    declare_view_query,
    declared,
    declared_pairs,
    encode,
    has_untracked_params,
    is_tracking,
)
from home.page_cache.refresh import job_of, refresher
from home.page_cache.revalidate import Refill, make_entry

HIT, MISS, BYPASS, STALE = "HIT", "MISS", "BYPASS", "STALE"
# What a page declared, when no current entry or record says.
UNKNOWN = object()

_PAIR = r"[\w.:+-]{1,40}=[\w.:+-]{0,40}"
_VARY_COOKIE_VALUE = re.compile(rf"^{_PAIR}(\|{_PAIR}){{0,9}}$")


def mark_uncacheable(request, reason="view"):
    """Keep this request's response out of the cache (its output belongs to one visitor)."""
    request._page_cache_uncacheable = reason


def request_key(request):
    """(the entry key of the page without query parameters, path key) for a cacheable
    request, or (None, reason) to bypass."""
    if not setting("PAGE_CACHE_ENABLED"):
        return None, "disabled"
    if request.method not in ("GET", "HEAD"):
        return None, "method"
    path = request.path
    if any(path.startswith(prefix) for prefix in setting("PAGE_CACHE_SKIP_PATHS")):
        return None, "path"
    cookies = request.COOKIES
    private = (settings.SESSION_COOKIE_NAME, *setting("PAGE_CACHE_PRIVATE_COOKIES"))
    if any(name in cookies for name in private):
        return None, "private-cookie"
    if "authorization" in request.headers:
        return None, "authorization"

    vary_parts = []
    for name in setting("PAGE_CACHE_VARY_COOKIES"):
        value = cookies.get(name)
        if value is None:
            continue
        if not _VARY_COOKIE_VALUE.match(value):
            return None, "vary-cookie"
        vary_parts.append(f"{name}={'|'.join(sorted(value.split('|')))}")

    request._page_cache_vary = vary_parts
    request._page_cache_tracked = any(is_tracking(name) for name in request.GET)
    request._page_cache_queried = has_untracked_params(request)
    return entry_key(request), path_key(path)


def entry_key(request, pairs=()):
    """The entry key of this request's page with these declared (name, value) pairs."""
    raw = json.dumps(
        [request.scheme, request.get_host(), request.path, encode(pairs), request._page_cache_vary]
    )
    return ENTRY_PREFIX + digest(raw)


def _within_limits(pairs):
    return len(pairs) <= setting("PAGE_CACHE_MAX_QUERY_PARAMS") and len(encode(pairs)) <= setting(
        "PAGE_CACHE_MAX_QUERY_LENGTH"
    )


def declared_key(request):
    """Where the page at this request's address records which parameters it reads."""
    raw = json.dumps([request.scheme, request.get_host(), request.path])
    return DECLARED_PREFIX + digest(raw)


def variant_key(request, plain_key, names):
    """The key this request's page is kept under, given what the page declared (None: it
    declared nothing; UNKNOWN: no current record says), or None when only rendering it can
    tell."""
    if not request._page_cache_queried:
        return plain_key
    if names is None or names is UNKNOWN:
        return None
    pairs = declared_pairs(request, names)
    if not pairs:
        return plain_key
    return entry_key(request, pairs) if _within_limits(pairs) else None


def storable(request, response):
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
    if reason and setting("PAGE_CACHE_EXPLAIN"):
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
        plain_key, path_key_or_reason = request_key(request)
        if plain_key is None:
            return self._bypass(request, self.get_response(request), path_key_or_reason)
        path_key = path_key_or_reason

        queried = request._page_cache_queried
        # With a query string, what the page reads is recorded beside its entries (a few
        # bytes, home/page_cache/query.py): fetched instead of the plain page's whole entry.
        record_key = declared_key(request) if queried else None
        local = checked_local_layer(request)
        if local is not None:
            generation = local.tokens.get(GENERATION_KEY)
            path_token = local.tokens.get(path_key)
            if queried:
                record = self._current(local.declared.get(record_key), generation, path_token)
                key = variant_key(request, plain_key, record[2] if record else UNKNOWN)
            else:
                key = plain_key
            entry = self._current(local.entries.get(key), generation, path_token) if key else None
            if entry:
                return self._hit(request, entry)

        found = cache.get_many([GENERATION_KEY, path_key, record_key or plain_key])
        generation, path_token = found.get(GENERATION_KEY), found.get(path_key)
        if generation is None or path_token is None:
            generation, path_token = ensure_tokens(path_key)
        tokens = {GENERATION_KEY: generation, path_key: path_token}
        names = None
        if queried:
            record = found.get(record_key)
            if self._current(record, generation, path_token):
                if local is not None:
                    local.tokens.update(tokens)
                    local.declared[record_key] = record
                names = record[2]
            elif record and record[1] == path_token:
                # Out of date only by a site-wide purge, which changes no page's parameters:
                # good for finding the page's previous copy (checked in revalidate.py).
                names = record[2]
            else:
                names = UNKNOWN
            key = variant_key(request, plain_key, names)
            previous = cache.get(key) if key else None
        else:
            key, previous = plain_key, found.get(plain_key)
        entry = self._current(previous, generation, path_token)
        if key and entry:
            if local is not None:
                local.remember(key, entry, tokens)
            return self._hit(request, entry)

        # Only where the key is known before rendering is there a previous copy to go by.
        refill = Refill(key or plain_key, path_key, generation, path_token, key and previous)
        job = job_of(request)
        try:
            decision = refill.adopt(job) if job else refill.decide()
            if decision == "refresh":
                # The reader gets the previous copy too; the page is rendered after this
                # response, by this process's renderer, under the lock just taken.
                query = "" if key == plain_key else encode(declared_pairs(request, names))
                if not refresher.submit(request, query, refill):
                    refill.reason = "queue-full"
                return self._stale(refill.stale, refill.reason)
            if decision == "stale":
                return self._stale(refill.stale, refill.reason)
            if decision == "wait":
                fresh = refill.wait()
                if fresh is not None:
                    return self._hit(request, fresh)
            response = self.get_response(request)
            return self._store(request, response, refill, plain_key, queried, record_key)
        finally:
            refill.release()

    def _store(self, request, response, refill, plain_key, queried, record_key):
        generation, path_token = refill.generation, refill.path_token
        names = declared(request)
        if names is not None:
            # The view saw only what it declared (home/page_cache/query.py).
            request._page_cache_tracked = False
        reason = storable(request, response)
        if reason:
            return self._bypass(request, response, reason)
        if not (generation and path_token and refill.epoch):
            # No tokens: the shared cache is unreachable (home/page_cache/backend.py). The
            # page is served as rendered, and kept nowhere: a purge could not reach it.
            return self._bypass(request, response, "no-shared-cache")
        key = plain_key
        if names is None and queried:
            # Nobody knows which parameters it read: one entry per query string would let
            # anyone fill the cache.
            return self._bypass(request, response, "undeclared-query")
        if names:
            pairs = declared_pairs(request, names)
            if not _within_limits(pairs):
                return self._bypass(request, response, "query")
            key = entry_key(request, pairs) if pairs else plain_key
        if "Cache-Control" not in response:
            response["Cache-Control"] = setting("PAGE_CACHE_CONTROL")
        patch_vary_headers(response, ("Cookie",))
        etag = '"' + hashlib.md5(response.content, usedforsecurity=False).hexdigest() + '"'
        response["ETag"] = etag
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in ("x-cache", "x-cache-reason", "set-cookie")
        ]
        entry = make_entry(
            generation,
            path_token,
            response.status_code,
            headers,
            response.content,
            names,
            refill.epoch,
        )
        cache.set(key, entry, timeout=setting("PAGE_CACHE_TIMEOUT"))
        if names is not None:
            # What the page reads, for requests with query strings (see __call__).
            record = (generation, path_token, names)
            cache.set(
                record_key or declared_key(request), record, timeout=setting("PAGE_CACHE_TIMEOUT")
            )
        # Not remembered locally: the tokens were read before rendering and may have been
        # replaced since; the next hit fetches entry and tokens together from Redis.
        return _stamp(response, MISS)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Views that declare their query parameters see only those (pages: a Wagtail hook).
        declare_view_query(request, view_func)

    @staticmethod
    def _current(entry, generation, path_token):
        if entry and generation and path_token and entry[:2] == (generation, path_token):
            return entry
        return None

    def _hit(self, request, entry):
        status, headers, content = entry[2:5]
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

    def _stale(self, entry, reason):
        """The earlier copy while the page is rendered again: whole, and never kept by a CDN
        or browser (it is only good for PAGE_CACHE_STALE_SECONDS)."""
        status, headers, content = entry[2:5]
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["Cache-Control"] = "no-cache"
        return _stamp(response, STALE, reason)

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
