"""What a reader sees when a request fails because the database cannot be reached.

What it is for: during a PostgreSQL restart or failover, pages in the page cache are still
served (its middleware needs no database on a hit); any other request fails wherever it first
needs the database (a view, the site snapshot middleware). Instead of Django's 500 page, the
reader gets a plain 503 saying we will be back shortly, with the freephone number from the copy
that needs no database (home/offline.py), and `Retry-After` for crawlers and proxies.

`server_error` is the project's handler500 (cms/urls.py): Django calls it while handling the
exception, so it can look at what failed; every other error keeps templates/500.html.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

from home import offline

# Long enough for a restart or a managed failover; short enough that a reader retrying soon
# after gets the page.
RETRY_AFTER_SECONDS = 30


def database_unreachable(exc):
    """True when `exc`, or an exception it was raised from or while handling, is Django's
    error for a database that cannot be reached or a connection that broke."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_response():
    """The 503 page, rendered with no request context: nothing on it may need the database."""
    body = loader.render_to_string(
        "503.html", {"contact": offline.contact(), "retry_after": RETRY_AFTER_SECONDS}
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Never kept by the page cache, a CDN or the browser: the page is back as soon as we are.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: the 503 page when the database is unreachable, else Django's own 500."""
    if database_unreachable(sys.exc_info()[1]):
        return unavailable_response()
    return defaults.server_error(request, template_name)
