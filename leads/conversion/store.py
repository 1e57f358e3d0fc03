"""Adding counted views to the daily aggregates (PageViewDay), and which page a path is."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.db.models import F
from wagtail.models import Page, Site

from leads.models import PageViewDay


def row_key(day, view):
    raw = json.dumps([day.isoformat(), *view], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def pages_for(views):
    """{(host, path): page id or None} for the views' addresses: the live page whose URL
    path under the host's site (or the default site) is that path."""
    sites = {site.hostname: site for site in Site.objects.select_related("root_page")}
    default = next((site for site in sites.values() if site.is_default_site), None)
    wanted = {}
    for view in views:
        site = sites.get(view.host, default)
        if site is None:
            continue
        root = site.root_page.url_path
        wanted[(view.host, view.path)] = root.rstrip("/") + view.path
    found = dict(
        Page.objects.filter(url_path__in=set(wanted.values()), live=True).values_list(
            "url_path", "pk"
        )
    )
    return {address: found.get(url_path) for address, url_path in wanted.items()}


def add_counts(by_day):
    """Adds {day: {View: views}} to PageViewDay in one transaction."""
    views = {view for counted in by_day.values() for view in counted}
    if not views:
        return
    pages = pages_for(views)
    with transaction.atomic():
        for day, counted in by_day.items():
            for view, n in counted.items():
                _add(day, view, n, pages.get((view.host, view.path)))


def _add(day, view, n, page_id):
    key = row_key(day, view)
    if PageViewDay.objects.filter(key=key).update(views=F("views") + n):
        return
    try:
        with transaction.atomic():
            PageViewDay.objects.create(
                day=day,
                key=key,
                path=view.path,
                page_id=page_id,
                utm_source=view.utm_source,
                utm_medium=view.utm_medium,
                utm_campaign=view.utm_campaign,
                referrer_host=view.referrer_host,
                device=view.device,
                views=n,
            )
    except IntegrityError:
        # Another fold created the row meanwhile.
        PageViewDay.objects.filter(key=key).update(views=F("views") + n)
