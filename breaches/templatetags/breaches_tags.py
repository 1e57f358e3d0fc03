from django import template
from django.utils.html import format_html_join

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


@register.simple_tag
def select_options(choices, chosen):
    """The `<option>`s of a filter's `<select>`: `choices` as (value, label) pairs, the one
    equal to `chosen` selected. Forty of them on the index: a template loop costs several
    times what joining them here does."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == chosen else "", label) for value, label in choices),
    )
