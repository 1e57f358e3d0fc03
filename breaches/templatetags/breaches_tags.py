from django import template
from django.db.models import Q

from breaches.models import BreachCaseStudyPage, BreachIndexPage, _card_queryset, prefetch_cards
from home.page_cache import memoised, prepared_list

register = template.Library()

HIGHLIGHTS = 3
NEWEST_FIRST = ("-published_date", "-first_published_at")


def _candidates(count):
    live = BreachCaseStudyPage.objects.live().order_by(*NEWEST_FIRST).values("pk")
    return (
        _card_queryset()
        .filter(Q(pk__in=live.filter(featured=True)[:count]) | Q(pk__in=live[: count * 2]))
        .order_by(*NEWEST_FIRST)
    )


@register.inclusion_tag("breaches/includes/highlights.html", takes_context=True)
def case_study_highlights(context, count=HIGHLIGHTS):
    """Featured and latest case studies for the home page, each shown once. Lets the home page
    list case studies without importing this app.

    One query finds both lists (the newest featured, and twice as many of the newest so that
    enough remain once the featured are taken out), its SQL compiled once per site snapshot;
    then types, images and renditions come in bulk."""
    candidates = prepared_list(("case-study-highlights", count), lambda: _candidates(count))
    featured = [page for page in candidates if page.featured][:count]
    latest = [page for page in candidates if page not in featured][:count]
    prefetch_cards([*featured, *latest])
    return {
        "request": context.get("request"),
        "featured": featured,
        "latest": latest,
        # The same for every page: kept with the site snapshot until the next publish.
        "index_page": memoised("breach-index-page", lambda: BreachIndexPage.objects.live().first()),
    }
