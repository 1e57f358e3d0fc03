"""Request-speed machinery: a shared page cache for anonymous readers, shared fragments of
pages, a per-process site snapshot and one-query routing, kept honest by purges.

What it is for: a burst of readers (a news story, a mailing) must be served from the shared
cache (Redis when ``REDIS_URL`` is set) without rendering the page again, and a page that must
be rendered should cost only its own queries, while nobody ever sees a stale page after an
editor publishes, or another visitor's page.

Where things are: ``conf`` (settings and their defaults), ``keys`` (keys and version tokens:
when something stored is current), ``local`` (each process's copy, kept honest by Redis
pub/sub), ``purge`` (the purge API and dependents registry), ``edge`` (the same purges sent
to Varnish or a CDN through Wagtail's frontend cache), ``signals`` (what purges what),
``middleware`` (serving and storing pages), ``revalidate`` (after a purge: the previous copy
and one render per page), ``refresh`` (that render, after the response, in each process's
background thread), ``fragments`` (parts of pages), ``snapshot`` (the
site snapshot), ``routing`` (one-query routing below the home page), ``prepared`` (querysets
compiled once), ``adapters`` (every
private attribute of Django or Wagtail it relies on).

Hooking in (other apps use only the names below):

* ``register_dependents(func)``: ``func(page)`` returns pages or URL paths that show ``page``
  (e.g. case studies listing it as related, a routable index's sub-routes); they are purged
  with it.
* ``mark_uncacheable(request)``: a view whose output belongs to one visitor (a form's result,
  a per-visitor token) calls this, and the response is neither stored nor served from the
  cache. Using ``{% csrf_token %}`` does this automatically (the CSRF cookie is set), as does
  any response that sets a cookie or says ``private``/``no-store``.
* ``purge_paths([...])``, ``purge_pages([...])``, ``purge_all()``: for code that changes what
  pages show without going through the page or snippet signals (bulk ``.update()`` calls).
  After ``purge_all()`` anonymous readers may get a page's previous copy for a few seconds
  while it is rendered again; ``purge_all(allow_stale=False)`` when they must not.
* ``fragment_lookup``: what ``{% shared_fragment %}`` (home/templatetags/page_fragments.py)
  is built on.
* ``memoised``, ``public``, ``MemoisedViewRestrictionsMixin``: the site snapshot's accessors
  for page models and views.
* ``prepared_list(key, build, **values)``: a queryset whose SQL differs only in a few values,
  compiled once per site snapshot and run with them (``prepared``).
* ``route_below``: HomePage's one-query routing; ``connect_signals``: for HomeConfig.ready.
* ``reads_query(*names)``: a view (or a routable page's route method) reads only these query
  parameters; page models say the same with a ``query_params`` class attribute, applied by
  ``declare_page_query`` (the ``before_serve_page`` hook home/wagtail_hooks.py registers).
  Everything else is dropped before the view runs and from every cache key
  (home/page_cache/query.py).
* ``cache_recovered``: a signal sent when Redis answers again after an outage (the generation
  has been replaced by then); whoever keeps derived data in the shared cache outside the
  version tokens forgets it here. ``MissedPurge`` is the model recording purges that did not
  reach Redis (registered through home/models.py).

The fail-soft Redis backend production names in CACHES is ``home.page_cache.backend``.
"""

from home.page_cache.fragments import fragment_lookup
from home.page_cache.middleware import mark_uncacheable
from home.page_cache.models import MissedPurge
from home.page_cache.prepared import prepared_list
from home.page_cache.purge import (
    purge_all,
    purge_pages,
    purge_paths,
    register_dependents,
    unregister_dependents,
)
from home.page_cache.query import declare_page_query, reads_query
from home.page_cache.recovery import cache_recovered
from home.page_cache.routing import route_below
from home.page_cache.signals import connect_signals
from home.page_cache.snapshot import (
    MemoisedViewRestrictionsMixin,
    active_snapshot,
    memoised,
    public,
)

__all__ = [
    "MemoisedViewRestrictionsMixin",
    "MissedPurge",
    "active_snapshot",
    "cache_recovered",
    "connect_signals",
    "declare_page_query",
    "fragment_lookup",
    "mark_uncacheable",
    "memoised",
    "prepared_list",
    "public",
    "purge_all",
    "purge_pages",
    "purge_paths",
    "reads_query",
    "register_dependents",
    "route_below",
    "unregister_dependents",
]
