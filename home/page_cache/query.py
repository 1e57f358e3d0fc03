"""Which query parameters a page or view reads: the rest are dropped before it runs, from the
page-cache key and from the shared fragments' keys.

What it is for: `?r=1`, `?r=2`… (cache-busting, or a link with a tracking parameter nobody
told us about) must not make every request a miss that stores one more copy of the same page.
So each page type and each view says which parameters change what it shows:

* page models: a ``query_params`` class attribute (default: none); a routable page's route
  method may carry its own with ``@reads_query(...)``, which then wins for that route;
* other views: ``@reads_query(...)``, or wrapped where they are wired (cms/urls.py);
* views that say nothing (and 404s) keep the old rule: a request with a query string is
  served but neither stored nor given shared fragments, since nobody knows what it read.

Before the page or view runs, ``request.GET`` and the query string (``get_full_path()``,
``build_absolute_uri()``) are cut down to the declared parameters, sorted, so what it renders
can never depend on a parameter that is not part of the key.
"""

import functools
from urllib.parse import urlencode

from django.http import QueryDict

from home.page_cache.conf import TRACKING_PARAM_PREFIXES, TRACKING_PARAMS

# The request attribute holding what was declared: None (undeclared) or a tuple of names.
_ATTR = "_page_cache_query_params"


def reads_query(*names):
    """Decorate a view (or a routable page's route method) that reads these query parameters,
    and only these."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.query_params = tuple(names)
        return wrapped

    return decorator


def declare(request, names):
    """Keep only `names` in the request's query (sorted), and remember they were declared."""
    names = frozenset(names)
    query = encode(declared_pairs(request, names))
    request.GET = QueryDict(query, encoding=request.encoding)
    request.META["QUERY_STRING"] = query
    setattr(request, _ATTR, names)


def declared(request):
    """The parameters (a frozenset) this request's page or view declared, or None when it
    declared nothing."""
    return getattr(request, _ATTR, None)


def declared_pairs(request, names):
    """The (name, value) pairs of the request's query that `names` covers, sorted by name
    (each name's values in their order: they may mean something in that order)."""
    return [
        (name, value)
        for name, values in sorted(request.GET.lists())
        if name in names
        for value in values
    ]


def is_tracking(name):
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PARAM_PREFIXES)


def has_untracked_params(request):
    """Whether the query carries anything but campaign and click identifiers."""
    return any(not is_tracking(name) for name in request.GET)


def encode(pairs):
    # Encoded, so '?a=1%26b%3D2' and '?a=1&b=2' can never share an entry.
    return urlencode(pairs)


def declare_page_query(page, request, serve_args, serve_kwargs):
    """Wagtail's ``before_serve_page`` hook: apply the page's (or its route's) declaration."""
    if request.method not in ("GET", "HEAD"):
        return
    names = getattr(page, "query_params", ())
    if serve_args and callable(serve_args[0]):
        # A routable page: RoutablePageMixin.route gives (view, args, kwargs).
        names = getattr(serve_args[0], "query_params", names)
    declare(request, names)


def declare_view_query(request, view_func):
    """For the middleware's process_view: apply a decorated view's declaration."""
    names = getattr(view_func, "query_params", None)
    if names is not None and request.method in ("GET", "HEAD"):
        declare(request, names)
