from django import template

from breaches.catalog import catalog
from breaches.models import BreachIndexPage, cards_by_id, prefetch_cards
from home.page_cache import memoised

register = template.Library()

HIGHLIGHTS = 3


@register.inclusion_tag("breaches/includes/highlights.html", takes_context=True)
def case_study_highlights(context, count=HIGHLIGHTS):
    """Featured and latest case studies for the home page, each shown once. Lets the home page
    list case studies without importing this app.

    Chosen from the catalog (the newest featured, and the newest of the rest); then one query
    loads them as cards, and their images' renditions come in bulk."""
    featured_ids, latest_ids = catalog().highlights(count)
    cards = {card.pk: card for card in cards_by_id([*featured_ids, *latest_ids])}
    featured = [cards[pk] for pk in featured_ids if pk in cards]
    latest = [cards[pk] for pk in latest_ids if pk in cards]
    prefetch_cards(cards.values())
    return {
        "request": context.get("request"),
        "featured": featured,
        "latest": latest,
        # The same for every page: kept with the site snapshot until the next publish.
        "index_page": memoised("breach-index-page", lambda: BreachIndexPage.objects.live().first()),
    }
