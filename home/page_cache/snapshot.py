"""The site snapshot: what every page request looks up and almost never changes, per process.

What it is for: rendering a page that is not in the page cache (the first reader after a
publish, a reader with an unusual query string) should cost the page's own queries, not five
more for the same few rows on every request: the Site for the host, the site's home page that
routing starts from, the site settings (PAGE_CACHE_SNAPSHOT_SETTINGS), and the view
restrictions of the page and its ancestors (nearly always none).

How it stays correct: a snapshot is built from the database and kept under the page cache's
generation token and the token of "/" (fragments.current_tokens). Saving a Site, site settings
or a view restriction replaces the generation token; publishing, unpublishing, moving or
deleting any page replaces the token of "/" (the home page is every page's ancestor). So a
snapshot is used only while a cached copy of the home page would be, and is rebuilt by the
next request after any change, in any process. The tokens are read before the database, so a
snapshot built from data older than a change is never kept under the new tokens.

Each request gets its own unpickled copies: Wagtail caches per-request state on these objects
(a settings object remembers its request), so they are never shared between requests.
"""

import contextvars
import pickle
import threading

from django.apps import apps
from django.db import InterfaceError, OperationalError
from django.utils.deprecation import MiddlewareMixin
from wagtail.models import Page, PageViewRestriction, Site

from home.page_cache.adapters.wagtail import give_site, give_site_root_paths, give_site_setting
from home.page_cache.conf import setting
from home.page_cache.fragments import current_tokens

# The snapshot in force for the request being served, for get_view_restrictions (which is
# given no request).
_active = contextvars.ContextVar("page_cache_snapshot", default=None)

# Paths that never serve pages: the admin reads the database as it is; health probes touch
# neither the cache nor the database unless their checks do.
_SKIP_PREFIXES = ("/admin/", "/django-admin/", "/static/", "/media/", "/documents/", "/health/")

_MAX_HOSTS = 50
_MAX_VALUES = 5000


class _Snapshot:
    """One host's Site (its home page attached), settings and the site's view restrictions."""

    __slots__ = (
        "tokens",
        "site",
        "root_paths",
        "settings",
        "restricted_paths",
        "aliases_exist",
        "values",
    )

    def __init__(self, tokens, site, root_paths, settings, restricted_paths, aliases_exist):
        self.tokens = tokens
        self.site = site
        self.root_paths = root_paths
        self.settings = settings
        self.restricted_paths = restricted_paths
        self.aliases_exist = aliases_exist
        self.values = {}

    def no_restrictions_for(self, page):
        """True when neither the page nor an ancestor carries a view restriction.

        Aliases take their source's restrictions, so where any alias exists Wagtail decides."""
        if self.aliases_exist or page.alias_of_id:
            return False
        path = page.path
        steplen = page.steplen
        return not any(
            path[:length] in self.restricted_paths
            for length in range(steplen, len(path) + 1, steplen)
        )


def _settings_models():
    return [apps.get_model(label) for label in setting("PAGE_CACHE_SNAPSHOT_SETTINGS")]


def _build(request, tokens):
    site = Site.find_for_request(request)
    settings_blobs = []
    if site is not None:
        # Routing starts from the specific home page: attach it so no request fetches it.
        site.root_page = site.root_page.specific
        for model in _settings_models():
            site_setting = model.base_queryset().filter(site=site).first()
            if site_setting is not None:
                settings_blobs.append(pickle.dumps(site_setting))
    restricted = frozenset(
        PageViewRestriction.objects.values_list("page__path", flat=True).distinct()
    )
    aliases = Page.objects.filter(alias_of__isnull=False).exists()
    return _Snapshot(
        tokens,
        pickle.dumps(site) if site is not None else None,
        # Wagtail keeps these in the shared cache: one round trip per page URL otherwise.
        tuple(Site.get_site_root_paths()),
        tuple(settings_blobs),
        restricted,
        aliases,
    )


class _Memo:
    def __init__(self):
        self.snapshots = {}
        self.lock = threading.Lock()

    def snapshot(self, request):
        if not setting("PAGE_CACHE_SNAPSHOT_ENABLED"):
            return None
        tokens = current_tokens(["/"], request)
        if tokens is None:
            return None
        host = (request.get_host(), request.get_port())
        snapshot = self.snapshots.get(host)
        if snapshot is None or snapshot.tokens != tokens:
            snapshot = _build(request, tokens)
            with self.lock:
                if len(self.snapshots) >= _MAX_HOSTS:
                    self.snapshots.clear()
                self.snapshots[host] = snapshot
        return snapshot

    def clear(self):
        with self.lock:
            self.snapshots.clear()


_memo = _Memo()


def memoised(key, build):
    """build(), kept in the request's snapshot under `key` while the snapshot lasts.

    Only for values that change only when a page is published, unpublished, moved or deleted,
    or when something purging the whole page cache is saved, and that callers never modify.
    Outside a request with a snapshot, build() every time."""
    snapshot = _active.get()
    if snapshot is None:
        return build()
    try:
        return snapshot.values[key]
    except KeyError:
        pass
    value = build()
    if len(snapshot.values) >= _MAX_VALUES:
        snapshot.values.clear()
    snapshot.values[key] = value
    return value


def public(queryset):
    """`queryset.public()` without its query for the restrictions: the snapshot knows them.

    Like Wagtail's, it leaves out every page at or below a page with a view restriction."""
    snapshot = _active.get()
    if snapshot is None:
        return queryset.public()
    for path in snapshot.restricted_paths:
        queryset = queryset.exclude(path__startswith=path)
    return queryset


def clear():
    """Forget every snapshot of this process (tests)."""
    _memo.clear()


def active_snapshot():
    return _active.get()


class SiteSnapshotMiddleware(MiddlewareMixin):
    """Gives each page request its Site, home page, site root paths and site settings from
    the snapshot, so Wagtail's own lookups (Site.find_for_request, BaseSiteSetting.for_request,
    routing, page URLs) find them already on the request."""

    def process_request(self, request):
        if request.path_info.startswith(_SKIP_PREFIXES):
            return None
        try:
            snapshot = _memo.snapshot(request)
        except (OperationalError, InterfaceError):
            if request.method in ("GET", "HEAD"):
                raise  # a page needs the database anyway: fail once, here, with the 503
            # A form's POST may not need the site at all (the call-back form keeps its
            # request when the database is unreachable): let its view decide.
            return None
        if snapshot is None:
            return None
        request._page_cache_snapshot_token = _active.set(snapshot)
        give_site_root_paths(request, snapshot.root_paths)
        if snapshot.site is None:
            return None
        give_site(request, pickle.loads(snapshot.site))  # noqa: S301 - our own bytes
        for blob in snapshot.settings:
            give_site_setting(request, pickle.loads(blob))  # noqa: S301 - our own bytes
        return None

    def process_response(self, request, response):
        token = getattr(request, "_page_cache_snapshot_token", None)
        if token is not None:
            _active.reset(token)
        return response


class MemoisedViewRestrictionsMixin:
    """For page models: skip the two queries of Wagtail's view-restriction check when the
    request's snapshot shows no restriction on the page or its ancestors."""

    def get_view_restrictions(self):
        snapshot = _active.get()
        if snapshot is not None and snapshot.no_restrictions_for(self):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()
