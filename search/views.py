"""The reader-facing site search at /search/?q=: case studies, best match first."""

import logging
import re
from urllib.parse import urlencode

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import F, TextField, Value
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET
from wagtail.contrib.search_promotions.models import Query, QueryDailyHits, SearchPromotion
from wagtail.models import Page
from wagtail.search.utils import normalise_query_string

from breaches import search_index
from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType, prefetch_cards
from home.models import SiteSettings
from home.page_cache import memoised, public, reads_query

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
RESULTS_PER_PAGE = 10
CONFIG = search_index.CONFIG
# ts_rank's weights for D, C, B, A: a word in the title or organisation counts ten times one
# in the body.
WEIGHTS = [0.1, 0.2, 0.4, 1.0]
# Everything but letters, digits and the joiners inside words: search engines' query syntax
# (quotes, brackets, operators, wildcards) is never passed through from readers. The SQLite
# backend wraps each word in double quotes without escaping them, and PostgreSQL refuses NUL
# bytes: either would be a 500.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_WORD = re.compile(r"[^\w'’-]+|(?<!\w)['’-]+|['’-]+(?!\w)")


def search_terms(query):
    """The words of a reader's query, safe to hand to any search backend: punctuation and
    query syntax removed, operator keywords lower-cased, single letters dropped, at most
    MAX_TERMS words."""
    words = _NOT_WORD.sub(" ", query).replace("_", " ").lower().split()
    # Single letters match almost everything once spelling is forgiven.
    return " ".join([word for word in words if len(word) > 1][:MAX_TERMS])


def find(queryset, terms, page_number):
    """One page of the case studies matching `terms`, best first, and the Paginator page that
    describes it (its object_list is that page's case studies)."""
    if connection.vendor == "postgresql":
        return ranked_page(queryset, terms, page_number)
    return fallback_page(queryset, terms, page_number)


def ranked_page(queryset, terms, page_number):
    """PostgreSQL: one query on the case studies' own GIN-indexed tsvector (breaches.search_index)
    finds pages with any of the words (the last one may be unfinished: a prefix), ranks those
    with every word first, then by weight (title and organisation above summary above body),
    and counts them in the same query; a second loads that page's case studies. Only when no
    page has every word is a near spelling of the title or organisation tried (pg_trgm, indexed
    too), as a misspelt name is the likeliest reason; if that finds nothing either, the pages
    with some of the words are shown."""
    every, some = tsqueries(terms)
    vector = search_index.column("search_vector", SearchVectorField())
    searchable = queryset.alias(vector=vector)
    matches = searchable.filter(vector=some).annotate(
        every_word=SearchVectorExact(F("vector"), every),
        rank=SearchRank(F("vector"), some, weights=WEIGHTS),
    )
    rows, page = _ranked_page(matches, page_number)
    # Pages with every word come first, so the first row says whether there are any; past
    # the first page, a row without them leaves it open, and the index is asked.
    every_word_somewhere = bool(rows) and rows[0][1]
    if rows and not every_word_somewhere and page.number > 1:
        every_word_somewhere = searchable.filter(vector=every).exists()
    if not every_word_somewhere:
        near_rows, near_page = _ranked_page(near_spelling(queryset, terms), page_number)
        if near_page.paginator.count:
            rows, page = near_rows, near_page
    # Loaded by id: the ranking query carries only ids, as sorting every match's whole row
    # (the body above all) cost more than the ranking itself. Results show no body.
    # The ids already passed every filter: a plain lookup by primary key is enough.
    cards = queryset.model.objects.defer("body").in_bulk([row[0] for row in rows])
    page.object_list = [cards[row[0]] for row in rows if row[0] in cards]
    return page


def tsqueries(terms):
    """(every word, any word) as tsqueries. The last word matches as a prefix, as readers
    may stop typing mid-word; words with joiners (o'brien, co-op) are matched whole."""
    words = terms.split()
    queries = [SearchQuery(word, config=CONFIG, search_type="plain") for word in words[:-1]]
    last = words[-1]
    if last.isalnum():
        queries.append(SearchQuery(f"'{last}':*", config=CONFIG, search_type="raw"))
    else:
        queries.append(SearchQuery(last, config=CONFIG, search_type="plain"))
    every, some = queries[0], queries[0]
    for query in queries[1:]:
        every &= query
        some |= query
    return every, some


def near_spelling(queryset, terms):
    """Case studies whose title or organisation is spelt nearly like the query: pg_trgm's
    word similarity on breaches.search_index's `search_names`, through its trigram index (the
    `<%` operator, at pg_trgm's default threshold of 0.6). Only these short fields: misspelt
    names are what readers type, and matching whole bodies this way took seconds per query."""
    names = search_index.column("search_names", TextField())
    return (
        queryset.alias(names=names)
        .filter(names__trigram_word_similar=terms)
        .annotate(every_word=Value(False), rank=TrigramWordSimilarity(terms, names))
    )


# Sorted and counted around the ranking query: OFFSET 0 keeps PostgreSQL from flattening it, so
# the sort keys are computed below the window count, which then carries these four columns
# rather than each match's search vector.
RANKED_BEFORE = "SELECT id, every_word, count(*) OVER () FROM ("
RANKED_AFTER = (
    " OFFSET 0) AS ranked(id, every_word, rank, published_date)"
    " ORDER BY every_word DESC, rank DESC, published_date DESC, id DESC LIMIT %s OFFSET %s"
)


def _ranked_page(matches, page_number):
    """The rows (pk, every_word, total) of page `page_number` of `matches` (annotated with
    every_word and rank), best first, and the Paginator page for it: one query that also counts
    every match, or two when the number is out of range and the last page is shown instead."""
    ranking = matches.order_by().values_list("pk", "every_word", "rank", "published_date")
    sql, params = ranking.query.sql_with_params()
    sql = RANKED_BEFORE + sql + RANKED_AFTER

    def fetch(number):
        with connection.cursor() as cursor:
            first = (number - 1) * RESULTS_PER_PAGE
            cursor.execute(sql, (*params, RESULTS_PER_PAGE, first))
            return cursor.fetchall()

    guess = _page_guess(page_number)
    rows = fetch(guess)
    if rows:
        total = rows[0][-1]
    elif guess == 1:
        total = 0
    else:
        total = matches.count()
    page = Paginator(range(total), RESULTS_PER_PAGE).get_page(page_number)
    if page.number != guess:
        rows = fetch(page.number)
    return rows, page


# Past any real page, and small enough that its OFFSET fits PostgreSQL's bigint: a larger number
# from the query string (?page=999...9) was a 500 ("bigint out of range").
MAX_PAGE_GUESS = 100_000


def _page_guess(page_number):
    """The page number a reader asked for, as a number the database can take: 1 when it is
    not a number, MAX_PAGE_GUESS at most (past the end either way, so the last page is shown)."""
    try:
        number = int(page_number)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE_GUESS)


def fallback_page(queryset, terms, page_number):
    """Elsewhere (SQLite in development and tests): Wagtail's search backend, every word
    first, then words still being typed, then any of the words."""
    attempts = [
        lambda: queryset.search(terms, operator="and"),
        lambda: queryset.autocomplete(terms, operator="and"),
        lambda: queryset.search(terms, operator="or"),
    ]
    results = queryset.none()
    for attempt in attempts:
        try:
            found = attempt()
            if found.count():
                results = found
                break
        except DatabaseError:
            # A query the backend cannot parse must not cost the reader a 500.
            logger.warning("Search backend refused a query; trying the next strategy.")
    page = Paginator(results, RESULTS_PER_PAGE).get_page(page_number)
    # The backend's results are loaded again in one query to come with all their fields.
    ids = [result.pk for result in page.object_list]
    cards = queryset.in_bulk(ids)
    page.object_list = [cards[pk] for pk in ids if pk in cards]
    return page


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
    # Read without Query.get, which would create a Query row for every page turned.
    picks = list(
        SearchPromotion.objects.filter(query__query_string=normalise_query_string(query))
        .select_related("page")
        .order_by("sort_order", "pk")
    )
    page_ids = [pick.page_id for pick in picks if pick.page_id]
    visible = {}
    if page_ids:
        # A promoted page is still a page: drafts and private pages stay hidden.
        visible = public(Page.objects.live()).specific().in_bulk(page_ids)
    promoted = []
    for pick in picks:
        if pick.page_id and pick.page_id in visible:
            promoted.append({"pick": pick, "page": visible[pick.page_id]})
        elif not pick.page_id and pick.external_link_url:
            promoted.append({"pick": pick, "page": None})
    return promoted


def count_hit(query):
    """One more search today for this query, as Wagtail's Query.add_hit counts it (the
    promotions report reads these), in one statement rather than a read and a write that can
    race: an upsert, which PostgreSQL and SQLite both understand.

    On PostgreSQL the statement's own commit does not wait for the disk (synchronous_commit
    off for that transaction only): a hit count is not worth a disk wait in every search, and a
    crash can lose at most the last fraction of a second of counts, never corrupt them."""
    table = QueryDailyHits._meta.db_table
    source = "VALUES (%s, %s, 1)"
    if connection.vendor == "postgresql":
        source = "SELECT %s, %s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS x"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS counted (query_id, date, hits) {source}"  # noqa: S608 - constants
            " ON CONFLICT (query_id, date) DO UPDATE SET hits = counted.hits + 1",
            [Query.get(query).pk, timezone.now().date()],
        )


@require_GET
@reads_query("q", "type", "page", "callback")
def search(request):
    """Full-text search over live, public case studies, with promoted results first."""
    # Control characters (NUL above all, which PostgreSQL cannot store) become spaces.
    raw = _CONTROL.sub(" ", request.GET.get("q", ""))
    query = " ".join(raw.split())[:MAX_QUERY_LENGTH]
    terms = search_terms(query)
    # Kept with the site snapshot: editing a breach type replaces it (home/page_cache/snapshot.py).
    breach_types = memoised("breach-types", lambda: list(BreachType.objects.all()))
    type_slug = request.GET.get("type", "")
    chosen_type = next((t for t in breach_types if t.slug == type_slug), None)
    page_number = request.GET.get("page")

    promoted = []
    page_of_results = Paginator([], RESULTS_PER_PAGE).get_page(1)
    if terms:
        promoted = promotions_for(query)
        first_page = page_number in (None, "", "1")
        if first_page:
            # Counted once per search, not per page turned, so editors see real demand.
            count_hit(query)
        queryset = public(BreachCaseStudyPage.objects.live())
        if chosen_type:
            queryset = queryset.filter(breach_types__slug=chosen_type.slug)
        promoted_ids = [item["page"].pk for item in promoted if item["page"]]
        if promoted_ids:
            queryset = queryset.exclude(id__in=promoted_ids)
        page_of_results = find(queryset, terms, page_number)
        # This page's breach types and images in a fixed number of queries.
        prefetch_cards(page_of_results.object_list)
    items = [
        {"page": page, "snippet": highlight(page.summary, terms)}
        for page in page_of_results.object_list
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
            "result_count": page_of_results.paginator.count + len(promoted),
            "breach_types": breach_types,
            "chosen_type": chosen_type,
            "base_query": urlencode(query_params),
            "page_numbers": list(
                page_of_results.paginator.get_elided_page_range(
                    page_of_results.number, on_each_side=2
                )
            ),
            "callback_form": site_settings.default_callback_form,
            # Only the empty and no-results states link to it.
            "index_page": SimpleLazyObject(lambda: public(BreachIndexPage.objects.live()).first()),
        },
    )
