from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.template.response import TemplateResponse
from wagtail.models import Page

MAX_QUERY_LENGTH = 200


def clean_query(raw):
    """The reader's words, safe to hand to the search backend: PostgreSQL refuses NUL bytes
    (a 500), and the SQLite backend puts each word in double quotes without escaping them
    (an FTS5 syntax error, a 500). Quotes and control characters carry no meaning for a
    plain-text search, so they become spaces."""
    text = "".join(" " if ch == '"' or not (ch.isprintable() or ch.isspace()) else ch for ch in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(request):
    """Full-text search over live, public pages."""
    query = clean_query(request.GET.get("q", ""))
    results = Page.objects.none()
    if query:
        results = Page.objects.live().public().specific().search(query)
    paginator = Paginator(results, 10)
    try:
        page_of_results = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        page_of_results = paginator.page(1)
    except EmptyPage:
        page_of_results = paginator.page(paginator.num_pages)
    return TemplateResponse(
        request,
        "search/search.html",
        {"search_query": query, "search_results": page_of_results},
    )
