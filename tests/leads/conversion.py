"""Helpers for the conversion figures' tests: a browser's user agents, reading the day's
counts, and an empty tally before each test."""

from django.db.models import Sum

from leads.conversion import counter, fold
from leads.models import PageViewDay

DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def reader_get(client, path, agent=DESKTOP, **extra):
    return client.get(path, HTTP_USER_AGENT=agent, **extra)


def folded_views(**lookups):
    """Views in the database after folding what is pending, narrowed by `lookups`."""
    fold()
    return PageViewDay.objects.filter(**lookups).aggregate(n=Sum("views"))["n"] or 0


def empty_tally():
    """Hands over (into the test's rolled-back transaction) whatever an earlier test counted."""
    counter.flush()
