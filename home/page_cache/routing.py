"""Routing below the home page in one query, and loading the page found without compiling
its SQL on every request.

What it is for: Wagtail routes one path component at a time, finding each child and then its
specific page (two queries per level). Here every page on the path is found at once by
url_path (kept with the site snapshot until the next publish), then only the last one's
specific page is loaded. Whenever a page on the way could route differently (a custom
route(), or a routable page whose own sub-URL matches the rest of the path) this gives up
and Wagtail's own routing decides, so the result is always the page Wagtail would serve.

Loading that page through the ORM (a multi-table join over some forty columns) costs several
times what the database takes to answer it. The SQL of ``Model.objects.get(pk=...)`` and the
column-to-field mapping depend only on the model, so Django's compiler works them out once per
model and process (adapters/django.py) and they are reused: the same SQL, the same
converters, the same ``Model.from_db()`` as the ORM's own iterator.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.http import Http404
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page

from home.page_cache.adapters.django import PrecompiledGet, converted
from home.page_cache.snapshot import memoised

_plans = {}


def load_page(model, pk):
    """`model.objects.get(pk=pk)`, the same instance, from SQL compiled once per model."""
    db = router.db_for_read(model)
    plan = _plans.get((model, db))
    if plan is None:
        try:
            plan = PrecompiledGet(model, db)
        except ValueError:
            plan = False  # its manager selects more than the page's row: the ORM decides
        _plans[(model, db)] = plan
    if plan is False:
        return model._default_manager.db_manager(db).get(pk=pk)
    params = list(plan.params)
    params[plan.pk_index] = pk
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model._meta.object_name} {pk} does not exist.")
    return model.from_db(db, plan.attnames, converted(row, plan.converters, connection))


def _model_of(content_type_id):
    return ContentType.objects.get_for_id(content_type_id).model_class()


def _pages_on_path(page, url_paths):
    return {
        url_path: (pk, content_type_id, live)
        for pk, url_path, content_type_id, live in Page.objects.filter(
            url_path__in=url_paths, path__startswith=page.path, depth__gt=page.depth
        ).values_list("id", "url_path", "content_type_id", "live")
    }


def route_below(page, request, path_components):
    """The RouteResult Wagtail's routing from `page` would give for these (non-empty) path
    components, or None where Wagtail's own routing must decide (including every 404)."""
    url_paths = [
        page.url_path + "/".join(path_components[: depth + 1]) + "/"
        for depth in range(len(path_components))
    ]
    # Which pages lie on the path changes only when pages are published, moved or deleted:
    # kept with the site's snapshot until then.
    on_path = memoised(
        ("pages-on-path", page.pk, *url_paths), lambda: _pages_on_path(page, url_paths)
    )
    if len(on_path) != len(url_paths):
        return None
    for depth, url_path in enumerate(url_paths[:-1]):
        model = _model_of(on_path[url_path][1])
        if model is None or not issubclass(model, Page):
            return None
        if issubclass(model, RoutablePageMixin):
            if on_path[url_path][2]:
                rest = "/" + "/".join(path_components[depth + 1 :]) + "/"
                try:
                    model().resolve_subpage(rest)
                except Http404:
                    continue
                return None  # its own sub-URL: Wagtail routes it
        elif model.route is not Page.route:
            return None
    target_pk, content_type_id, _live = on_path[url_paths[-1]]
    model = _model_of(content_type_id)
    if model is None:
        return None
    try:
        target = load_page(model, target_pk)
    except model.DoesNotExist:
        return None  # deleted since: Wagtail's own routing answers 404
    return target.route(request, [])
