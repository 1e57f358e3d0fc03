from django import template

from breaches.models import BreachIndexPage, _card_queryset

register = template.Library()

HIGHLIGHTS = 3


@register.inclusion_tag("breaches/includes/highlights.html", takes_context=True)
def case_study_highlights(context, count=HIGHLIGHTS):
    """Featured and latest case studies for the home page, each shown once, in a fixed
    number of queries. Lets the home page list case studies without importing this app."""
    newest_first = ("-published_date", "-first_published_at")
    featured = list(_card_queryset().filter(featured=True).order_by(*newest_first)[:count])
    latest = list(
        _card_queryset().exclude(pk__in=[p.pk for p in featured]).order_by(*newest_first)[:count]
    )
    return {
        "request": context.get("request"),
        "featured": featured,
        "latest": latest,
        "index_page": BreachIndexPage.objects.live().public().first(),
    }
