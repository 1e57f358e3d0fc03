"""The reader-facing site search at /search/?q=: case studies, best match first."""

import logging
import re
from urllib.parse import urlencode

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models.functions import Greatest
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET
from wagtail.contrib.search_promotions.models import Query
from wagtail.models import Page

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType, _card_queryset
from home.models import SiteSettings

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
RESULTS_PER_PAGE = 10
# pg_trgm word similarity: misspelt names score 0.65 and up ("west midlnds polise" against
# "West Midlands Police"), chance overlaps 0.2 and below.
NEAR_SPELLING = 0.5
# Everything but letters, digits and the joiners inside words: search engines' query syntax
# (quotes, brackets, operators, wildcards) is never passed through from readers. The SQLite
# backend wraps each word in double quotes without escaping them, and PostgreSQL refuses NUL
# bytes: both were 500s before this.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_WORD = re.compile(r"[^\w'’-]+|(?<!\w)['’-]+|['’-]+(?!\w)")


def search_terms(query):
    """The words of a reader's query, safe to hand to any search backend: punctuation and
    query syntax removed, operator keywords lower-cased, single letters dropped, at most
    MAX_TERMS words."""
    words = _NOT_WORD.sub(" ", query).replace("_", " ").lower().split()
    # Single letters match almost everything once spelling is forgiven.
    return " ".join([word for word in words if len(word) > 1][:MAX_TERMS])


def find(queryset, terms):
    """The best of several ways to match: every word; words still being typed; a spelling
    near enough (PostgreSQL only); then any of the words."""
    attempts = [
        lambda: queryset.search(terms, operator="and"),
        lambda: queryset.autocomplete(terms, operator="and"),
    ]
    if connection.vendor == "postgresql":
        attempts.append(lambda: near_spelling(queryset, terms))
    attempts.append(lambda: queryset.search(terms, operator="or"))
    for attempt in attempts:
        try:
            results = attempt()
            if results.count():
                return results
        except DatabaseError:
            # A query the backend cannot parse must not cost the reader a 500.
            logger.warning("Search backend refused a query; trying the next strategy.")
    return queryset.none()


def near_spelling(queryset, terms):
    """Case studies whose title or organisation is spelt nearly like the query (PostgreSQL
    trigrams). Only these short fields: matching whole bodies this way took seconds per query
    over 5,000 case studies (bench/search.py), and misspelt names are what readers type."""
    similarity = Greatest(
        TrigramWordSimilarity(terms, "title"), TrigramWordSimilarity(terms, "organisation")
    )
    return (
        queryset.annotate(similarity=similarity)
        .filter(similarity__gte=NEAR_SPELLING)
        .order_by("-similarity", "-published_date")
    )


def highlight(text, terms, length=220):
    """A plain-text snippet with the searched words marked; everything else escaped."""
    text = Truncator(" ".join(str(text).split())).chars(length)
    words = [re.escape(word) for word in terms.split() if len(word) > 1]
    if not words:
        return escape(text)
    pattern = re.compile(r"\b(" + "|".join(words) + r")", re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece above is escaped


def promotions_for(query):
    """The editor's promoted results for this query: live, public pages and external links."""
    picks = list(Query.get(query).editors_picks.select_related("page").order_by("sort_order", "pk"))
    page_ids = [pick.page_id for pick in picks if pick.page_id]
    visible = {}
    if page_ids:
        # A promoted page is still a page: drafts and private pages stay hidden.
        visible = Page.objects.live().public().specific().in_bulk(page_ids)
    promoted = []
    for pick in picks:
        if pick.page_id and pick.page_id in visible:
            promoted.append({"pick": pick, "page": visible[pick.page_id]})
        elif not pick.page_id and pick.external_link_url:
            promoted.append({"pick": pick, "page": None})
    return promoted


@require_GET
def search(request):
    """Full-text search over live, public case studies, with promoted results first."""
    # Control characters (NUL above all, which PostgreSQL cannot store) become spaces.
    raw = _CONTROL.sub(" ", request.GET.get("q", ""))
    query = " ".join(raw.split())[:MAX_QUERY_LENGTH]
    terms = search_terms(query)
    breach_types = list(BreachType.objects.all())
    type_slug = request.GET.get("type", "")
    chosen_type = next((t for t in breach_types if t.slug == type_slug), None)
    page_number = request.GET.get("page")

    promoted = []
    results = BreachCaseStudyPage.objects.none()
    if terms:
        promoted = promotions_for(query)
        first_page = page_number in (None, "", "1")
        if first_page:
            # Counted once per search, not per page turned, so editors see real demand.
            Query.get(query).add_hit()
        queryset = BreachCaseStudyPage.objects.live().public()
        if chosen_type:
            queryset = queryset.filter(breach_types__slug=chosen_type.slug)
        promoted_ids = [item["page"].pk for item in promoted if item["page"]]
        if promoted_ids:
            queryset = queryset.exclude(id__in=promoted_ids)
        results = find(queryset, terms)

    paginator = Paginator(results, RESULTS_PER_PAGE)
    page_of_results = paginator.get_page(page_number)
    # Load this page's case studies with their types and images in a fixed number of queries,
    # keeping the ranked order.
    ids = [result.pk for result in page_of_results.object_list]
    cards = _card_queryset().in_bulk(ids)
    items = [
        {"page": cards[pk], "snippet": highlight(cards[pk].summary, terms)}
        for pk in ids
        if pk in cards
    ]

    query_params = {key: value for key, value in (("q", query), ("type", type_slug)) if value}
    if not chosen_type:
        query_params.pop("type", None)
    site_settings = SiteSettings.for_request(request)
    return TemplateResponse(
        request,
        "search/search.html",
        {
            "search_query": query,
            "search_terms": terms,
            "search_results": page_of_results,
            "items": items,
            "promoted": promoted if page_of_results.number == 1 else [],
            "result_count": paginator.count + len(promoted),
            "breach_types": breach_types,
            "chosen_type": chosen_type,
            "base_query": urlencode(query_params),
            "page_numbers": list(
                paginator.get_elided_page_range(page_of_results.number, on_each_side=2)
            ),
            "callback_form": site_settings.default_callback_form,
            "index_page": BreachIndexPage.objects.live().public().first(),
        },
    )
