from django import template
from django.db.models import Q

from breaches.models import BreachCaseStudyPage, BreachIndexPage, _card_queryset
from home.page_cache import memoised

register = template.Library()

HIGHLIGHTS = 3
NEWEST_FIRST = ("-published_date", "-first_published_at")


@register.inclusion_tag("breaches/includes/highlights.html", takes_context=True)
def case_study_highlights(context, count=HIGHLIGHTS):
    """Featured and latest case studies for the home page, each shown once. Lets the home page
    list case studies without importing this app.

    One query finds both lists (the newest featured, and twice as many of the newest so that
    enough remain once the featured are taken out), then types and images come in bulk."""
    live = BreachCaseStudyPage.objects.live().order_by(*NEWEST_FIRST).values("pk")
    candidates = list(
        _card_queryset()
        .filter(Q(pk__in=live.filter(featured=True)[:count]) | Q(pk__in=live[: count * 2]))
        .order_by(*NEWEST_FIRST)
    )
    featured = [page for page in candidates if page.featured][:count]
    latest = [page for page in candidates if page not in featured][:count]
    return {
        "request": context.get("request"),
        "featured": featured,
        "latest": latest,
        # The same for every page: kept with the site snapshot until the next publish.
        "index_page": memoised("breach-index-page", lambda: BreachIndexPage.objects.live().first()),
    }
