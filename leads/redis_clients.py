"""The leads app's own Redis clients (the lead spool's stream, the page-view counts): one per
URL per process, failing fast and once, since each caller has somewhere else to go."""

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

_clients = {}


def client_for(url, connect_timeout, socket_timeout):
    """The client for `url` (None: the cache's REDIS_URL), or None when it comes to no URL."""
    if url is None:
        url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=socket_timeout,
            # One try: a second wait would only delay the caller, which has a fallback.
            retry=Retry(NoBackoff(), 0),
        )
    return client
