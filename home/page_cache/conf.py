"""The page cache's settings: their defaults, and a fast way to read them on every request.

Each ``PAGE_CACHE_*`` / ``PAGE_FRAGMENTS_*`` name below may be set in the Django settings;
whatever is not set takes the default here.
"""

from django.conf import settings
from django.core.signals import setting_changed

# Campaign and click identifiers: they change nothing on the page (the call-back form reads
# them in the browser). Pages never see them (no page declares them, home/page_cache/query.py);
# for a view that declared nothing they are the only parameters its cached copy may serve.
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
    # Off: every request is rendered and no shared fragment is used. The site snapshot stays
    # (PAGE_CACHE_SNAPSHOT_ENABLED): purges replace the tokens it is kept under either way.
    "PAGE_CACHE_ENABLED": True,
    # Server-side lifetime. Purges make a long one safe; the TTL only bounds memory.
    "PAGE_CACHE_TIMEOUT": 600,
    # For a CDN in front: it may keep a page for a minute and serve it a little stale while it
    # refetches; browsers keep it briefly and, because stored pages vary on Cookie, refetch as
    # soon as the visitor's cookies change (logging in, a flash message after a form POST).
    "PAGE_CACHE_CONTROL": "public, max-age=30, s-maxage=60, stale-while-revalidate=60",
    # Paths never stored or served from the cache: the admin, search, consent, form posts.
    # Pages under them still use shared fragments and the site snapshot.
    "PAGE_CACHE_SKIP_PATHS": (
        "/admin/",
        "/django-admin/",
        "/documents/",
        "/media/",
        "/static/",
        "/search/",
        "/cookies/",
        "/health/",
    ),
    # A request carrying any of these is one visitor's own: never served from nor stored in the
    # cache. The session cookie is added at run time (SESSION_COOKIE_NAME).
    "PAGE_CACHE_PRIVATE_COOKIES": ("messages",),
    # Cookies whose (low-cardinality) value changes the page for everyone who has the same
    # value: the consent choice ("group=version|group=-1"). Part of the key, never shared
    # between different values. Anything that does not look like such a value bypasses.
    "PAGE_CACHE_VARY_COOKIES": ("cookie_consent",),
    # Beyond these many declared parameters (home/page_cache/query.py), or this long once
    # encoded, a query string is someone's cache-busting, not a page: served, not stored.
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
    # For how long after a site-wide purge the previous copy of a page may still be served to
    # anonymous readers while one request renders the new one (home/page_cache/revalidate.py);
    # as long as a CDN may keep a page (s-maxage above). 0: never serve a previous copy.
    "PAGE_CACHE_STALE_SECONDS": 60,
    # Saves of these models replace the epoch too: no page stored before is ever served again
    # (access rules and the consent banner must be right at once).
    "PAGE_CACHE_NO_STALE_MODELS": (
        "cookie_consent.CookieGroup",
        "cookie_consent.Cookie",
        "wagtailcore.PageViewRestriction",
    ),
    # The one request rendering a page again holds a lock this long at most (if it dies, the
    # next request takes over); others with no acceptable previous copy wait for its result
    # this long at most, then render themselves.
    "PAGE_CACHE_FILL_LOCK_SECONDS": 10,
    "PAGE_CACHE_FILL_WAIT_SECONDS": 1.0,
    # Under a purge storm, the share of each process's time it may spend rendering pages it
    # could serve a previous copy of (beyond it, readers get that copy and the page is
    # rendered by a later reader): renders must not queue up behind each other. 1: no limit.
    "PAGE_CACHE_REVALIDATE_SHARE": 0.2,
    # After a site-wide purge, the first reader of a page with an acceptable previous copy is
    # given that copy too, and the page is rendered after the response by the process's one
    # background renderer (home/page_cache/refresh.py), which takes at most this many pages
    # at a time (beyond, a later reader tries). 0: that reader renders the page in its request.
    "PAGE_CACHE_REFRESH_QUEUE": 8,
    # Entries each process keeps in memory, kept honest by Redis pub/sub (0: off). Only with
    # the Redis backend; see home/page_cache/local.py.
    "PAGE_CACHE_LOCAL_ENTRIES": 500,
    # After Redis fails to answer, how long no request in this process tries it again
    # (home/page_cache/backend.py); meanwhile pages are rendered from the database.
    "PAGE_CACHE_REDIS_RETRY_SECONDS": 5,
    # Add `X-Cache-Reason` explaining a BYPASS (tests and development).
    "PAGE_CACHE_EXPLAIN": False,
    # Fragments of pages ({% shared_fragment %}) kept in the shared cache for page-cache misses
    # (readers the page cache does not serve, new query strings, the first reader after a
    # purge); see home/page_cache/fragments.py. Off when the page cache is off.
    "PAGE_FRAGMENTS_ENABLED": True,
    # The per-process site snapshot (home/page_cache/snapshot.py), with or without the page
    # cache. Off: every request looks up the site, its settings and restrictions again, as a
    # freshly started process does.
    "PAGE_CACHE_SNAPSHOT_ENABLED": True,
    # Site settings models (app_label.ModelName, subclasses of Wagtail's BaseSiteSetting) the
    # site snapshot keeps for each site and hands to every page request.
    "PAGE_CACHE_SNAPSHOT_SETTINGS": ("home.SiteSettings",),
}


_seen = {}


def setting(name):
    """The setting's value, or its default. Read on every request: a dict lookup rather than
    Django's lazy settings object, forgotten whenever a setting changes (override_settings)."""
    try:
        return _seen[name]
    except KeyError:
        value = _seen[name] = getattr(settings, name, DEFAULTS[name])
        return value


def _forget(**kwargs):
    _seen.clear()


setting_changed.connect(_forget, dispatch_uid="page_cache_settings")
