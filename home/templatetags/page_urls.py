"""`{% pageurl page %}`: Wagtail's tag, with each page's URL worked out once per site snapshot.

What it is for: a page shows a dozen links to other pages (menu, breadcrumbs, cards, footer),
and Wagtail works out each one on every render: the site's root paths, the page's site, then
Django's `reverse()` of Wagtail's serve view, about 25 µs a link. A page's URL changes only
when it or an ancestor is published, moved or renamed, or a Site changes, and each of those
replaces the site snapshot (home/page_cache/snapshot.py), so the snapshot keeps the URLs.

`{% routablepageurl page 'name' %}` likewise (a routable page's sub-URL: its URL, then
Django's reverse() on the page's own URL patterns).

Load `page_urls` after `wagtailcore_tags` and `wagtailroutablepage_tags` (the later library's
tags win); same syntax and output as Wagtail's. `page_url` and `full_page_url` are the same
for Python callers.
"""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import get_script_prefix
from django.utils import translation
from wagtail.models import Page

from home.page_cache import memoised

register = template.Library()


def _key(kind, page, request):
    # url_path, not pk: an unsaved change to the page in hand (a moved or renamed copy) gets
    # its own URL. The script prefix and, with Wagtail's i18n on, the active language are
    # part of what reverse() gives; they are the same for every request of a deployment.
    # Without a request (an inclusion tag's template has none) Wagtail writes a full URL when
    # there are several sites, a local one with a request for the page's own site.
    i18n = getattr(settings, "WAGTAIL_I18N_ENABLED", False)
    language = translation.get_language() if i18n else None
    return (kind, page.url_path, get_script_prefix(), language, request is None)


def page_url(page, request):
    """page.get_url(request): local if the page is on the request's site (or the only
    site), else full."""
    return memoised(_key("page-url", page, request), lambda: page.get_url(request=request))


def full_page_url(page, request):
    """page.get_full_url(request)."""
    return memoised(
        _key("full-page-url", page, request), lambda: page.get_full_url(request=request)
    )


@register.simple_tag(takes_context=True)
def pageurl(context, page, fallback=None):
    """wagtail.templatetags.wagtailcore_tags.pageurl, its URL from page_url."""
    if page is None and fallback:
        return resolve_url(fallback)
    if not isinstance(page, Page):
        raise ValueError(f"pageurl tag expected a Page object, got {page!r}")
    return page_url(page, context.get("request"))


@register.simple_tag(takes_context=True)
def routablepageurl(context, page, url_name, *args, **kwargs):
    """wagtail.contrib.routable_page's routablepageurl, kept like page_url."""
    request = context["request"]

    def build():
        base_url = page_url(page, request)
        routed_url = page.reverse_subpage(url_name, args=args, kwargs=kwargs)
        if not base_url.endswith("/"):
            base_url += "/"
        return base_url + routed_url

    # The sub-URL depends on the page's class (its URL patterns) and the arguments.
    key = (
        _key("routable-page-url", page, request),
        type(page),
        url_name,
        args,
        tuple(sorted(kwargs.items())),
    )
    try:
        hash(key)
    except TypeError:
        return build()  # an argument that cannot be a key: worked out every time
    return memoised(key, build)
