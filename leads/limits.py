"""How much one address, and the whole site, may send the call-back form: limits that flag,
and limits that refuse.

One address is not one person (a mobile network's carrier-grade NAT, an office, a hospital
trust), so the everyday limit never turns a reader away: past LEADS_RATE_LIMIT leads from one
address in its window, a new lead is stored held for review (`over_review_limit`, counted in
the database when the lead is stored, so it holds with or without Redis). Only the flood
limits refuse, with 429 and Retry-After: LEADS_FLOOD_LIMIT requests per address and
LEADS_FLOOD_LIMIT_SITE for the whole site, in fixed windows. They are counted in the shared
cache before the form is read (`check_flood`), so a flood costs Redis a counter and nothing
else; while the cache cannot count, the database counts the leads stored in the same windows
(`database_flood`). docs/scaling.md says how the limits were sized.
"""

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache

from leads import conf
from leads.models import Lead


@dataclass(frozen=True)
class FloodCheck:
    """What the flood limits say about one request: refused for `retry_after` seconds, or
    let through; `counted` is False when the shared cache could not count it."""

    retry_after: int | None = None
    counted: bool = True


class Flooded(Exception):
    """The database's count of this window's leads is over a flood limit."""

    def __init__(self, retry_after):
        super().__init__(f"flooded, retry after {retry_after} s")
        self.retry_after = retry_after


def _window(window, now):
    """The fixed window holding `now` (epoch seconds): its start, and seconds until its end."""
    start = int(now // window) * window
    return start, max(1, math.ceil(start + window - now))


def _count(key, window):
    """Counts one more request under `key`; None when the cache keeps nothing (unreachable,
    or a dummy cache), so the caller knows to count elsewhere."""
    # add() then incr() is atomic on Redis and locmem. The fail-soft backend's add() says it
    # added while Redis is down, so the first request of a window reads its count back.
    if cache.add(key, 1, timeout=window + 1):
        return cache.get(key)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr().
        cache.add(key, 1, timeout=window + 1)
        return cache.get(key)


def _scopes(client_key):
    """(name, key part, (limit, window)) for each flood limit that applies, address first."""
    scopes = []
    if client_key:
        scopes.append(("address", client_key, conf.LEADS_FLOOD_LIMIT))
    scopes.append(("site", "all", conf.LEADS_FLOOD_LIMIT_SITE))
    return [(name, part, limits) for name, part, limits in scopes if limits[0]]


def check_flood(client_key, now=None):
    """Counts this request against the flood limits in the shared cache.

    The address is counted first and a request it refuses is not counted for the site, so
    one address flooding cannot use up the whole site's allowance.
    """
    now = time.time() if now is None else now
    counted = True
    for name, part, (limit, window) in _scopes(client_key):
        start, remaining = _window(window, now)
        count = _count(f"leads:flood:{name}:{part}:{start}", window)
        if count is None:
            counted = False
        elif count > limit:
            return FloodCheck(retry_after=remaining, counted=counted)
    return FloodCheck(counted=counted)


def database_flood(ip_digest, received):
    """The flood limits counted from stored leads, for when the shared cache cannot count:
    a FloodCheck refusing when this window already holds the limit's number of leads."""
    now = received.timestamp()
    for name, part, (limit, window) in _scopes(ip_digest):
        start, remaining = _window(window, now)
        leads = Lead.objects.filter(
            created_at__gte=datetime.fromtimestamp(start, tz=UTC), created_at__lte=received
        )
        if name == "address":
            leads = leads.filter(ip_hmac=part)
        if leads[:limit].count() >= limit:
            return FloodCheck(retry_after=remaining, counted=False)
    return FloodCheck(counted=False)


def over_review_limit(ip_digest, received):
    """Whether this address already had LEADS_RATE_LIMIT leads in the window before
    `received`: the new lead is then held for review (indexed by ip_hmac and time)."""
    limit, window = conf.LEADS_RATE_LIMIT
    if not ip_digest or not limit:
        return False
    recent = Lead.objects.filter(
        ip_hmac=ip_digest,
        created_at__range=(received - timedelta(seconds=window), received),
    )
    return recent[:limit].count() >= limit
