"""The middleware that serves anonymous readers from the shared cache, and its rules for what
may be stored or served (home/page_cache/keys.py says when a stored page is still current).

A lookup fetches both tokens and the entry in one round trip (``get_many``), or none at all
when this process's local layer (home/page_cache/local.py) holds them.
"""

import hashlib
import json
import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from home.page_cache.conf import TRACKING_PARAM_PREFIXES, TRACKING_PARAMS, setting
from home.page_cache.keys import ENTRY_PREFIX, GENERATION_KEY, digest, ensure_tokens, path_key
from home.page_cache.local import checked_local_layer
from home.page_cache.revalidate import Refill, make_entry

HIT, MISS, BYPASS, STALE = "HIT", "MISS", "BYPASS", "STALE"

_PAIR = r"[\w.:+-]{1,40}=[\w.:+-]{0,40}"
_VARY_COOKIE_VALUE = re.compile(rf"^{_PAIR}(\|{_PAIR}){{0,9}}$")


def mark_uncacheable(request, reason="view"):
    """Keep this request's response out of the cache (its output belongs to one visitor)."""
    request._page_cache_uncacheable = reason


def request_key(request):
    """(entry key, path key) for a cacheable request, or (None, reason) to bypass."""
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

    params = []
    tracked = False
    for name, values in request.GET.lists():
        if name in TRACKING_PARAMS or name.startswith(TRACKING_PARAM_PREFIXES):
            tracked = True
            continue
        params.extend((name, value) for value in values)
    # Encoded, so '?a=1%26b%3D2' and '?a=1&b=2' can never share an entry.
    query = urlencode(sorted(params))
    if len(params) > setting("PAGE_CACHE_MAX_QUERY_PARAMS") or len(query) > setting(
        "PAGE_CACHE_MAX_QUERY_LENGTH"
    ):
        return None, "query"
    request._page_cache_tracked = tracked

    raw = json.dumps([request.scheme, request.get_host(), path, query, vary_parts])
    return ENTRY_PREFIX + digest(raw), path_key(path)


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
        entry_key, path_key_or_reason = request_key(request)
        if entry_key is None:
            return self._bypass(request, self.get_response(request), path_key_or_reason)
        path_key = path_key_or_reason

        local = checked_local_layer(request)
        if local is not None:
            generation = local.tokens.get(GENERATION_KEY)
            path_token = local.tokens.get(path_key)
            entry = local.entries.get(entry_key)
            if generation and path_token and entry and entry[:2] == (generation, path_token):
                return self._hit(request, entry)

        found = cache.get_many([GENERATION_KEY, path_key, entry_key])
        generation, path_token = found.get(GENERATION_KEY), found.get(path_key)
        entry = found.get(entry_key)
        if generation is None or path_token is None:
            generation, path_token = ensure_tokens(path_key)
        if entry and entry[0] == generation and entry[1] == path_token:
            if local is not None:
                local.remember(entry_key, entry, {GENERATION_KEY: generation, path_key: path_token})
            return self._hit(request, entry)

        refill = Refill(entry_key, path_key, generation, path_token, entry)
        try:
            decision = refill.decide()
            if decision == "stale":
                return self._stale(refill.stale)
            if decision == "wait":
                fresh = refill.wait()
                if fresh is not None:
                    return self._hit(request, fresh)
            response = self.get_response(request)
            return self._store(request, response, entry_key, refill)
        finally:
            refill.release()

    def _store(self, request, response, entry_key, refill):
        generation, path_token = refill.generation, refill.path_token
        reason = storable(request, response)
        if reason:
            return self._bypass(request, response, reason)
        if not (generation and path_token and refill.epoch):
            # No tokens: the shared cache is unreachable (home/page_cache/backend.py). The
            # page is served as rendered, and kept nowhere: a purge could not reach it.
            return self._bypass(request, response, "no-shared-cache")
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
            refill.epoch,
        )
        cache.set(entry_key, entry, timeout=setting("PAGE_CACHE_TIMEOUT"))
        # Not remembered locally: the tokens were read before rendering and may have been
        # replaced since; the next hit fetches entry and tokens together from Redis.
        return _stamp(response, MISS)

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

    def _stale(self, entry):
        """The earlier copy while another request renders the page again: whole, and never
        kept by a CDN or browser (it is only good for PAGE_CACHE_STALE_SECONDS)."""
        status, headers, content = entry[2:5]
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["Cache-Control"] = "no-cache"
        return _stamp(response, STALE)

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
