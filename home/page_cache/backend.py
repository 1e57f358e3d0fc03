"""The shared cache as production uses it: Django's Redis backend that keeps the site up when
Redis is not.

What it is for: everything kept in Redis (cached pages and fragments, version tokens, cookie
groups, rate-limit counters, duplicate claims) is an optimisation or a soft defence, so a
Redis that is unreachable, stuck or restarting must make the site slower, never down. Django's
own backend raises on every call instead, and every page answered 500.

While Redis cannot be reached this backend answers as Django's DummyCache does (reads miss,
writes are dropped, ``add()`` says it added, ``incr()`` finds no key) and ``set_many()``
reports every key as not stored, which is how a purge knows it was missed. A circuit breaker
keeps the cost bounded: the first failure (a refused connection at once, a connection or
socket timeout from ``OPTIONS`` at worst) opens it, and for ``PAGE_CACHE_REDIS_RETRY_SECONDS``
no request in this process tries Redis at all; then one request probes with a PING. One
warning is logged when an outage starts and one line when it ends.

Coming back is where stale pages could hide: purges issued meanwhile were lost, and Redis
may have kept its old tokens. So before the first answer from a recovered Redis is used, this
process replaces the page cache's generation and clears every process's local layer
(home/page_cache/recovery.py); a newly started process does the same once if a purge was
recorded as missed by a process that did not live to see Redis again.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from home.page_cache import recovery
from home.page_cache.conf import setting

logger = logging.getLogger(__name__)

# What an unreachable, stuck or restarting server raises (BusyLoadingError, a Redis still
# loading its data after a restart, is a ConnectionError).
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class Breaker:
    """One process's view of one Redis server: up, down (and since when), or not yet asked.

    Shared by every thread of the process (Django builds a cache object per thread)."""

    def __init__(self, location):
        self.location = location
        self.lock = threading.Lock()
        self.down_since = None
        self.retry_at = 0.0
        # A new process has not yet checked for purges missed by a process that died.
        self.started = False
        self.failures = 0

    @property
    def is_down(self):
        return self.down_since is not None

    def trip(self, exc):
        """Stop asking Redis for a while; the first failure of an outage is logged."""
        with self.lock:
            self.trip_locked(exc)

    def trip_locked(self, exc):
        self.failures += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning(
                "Redis at %s unreachable (%s); serving without the shared cache, "
                "retrying every %ss",
                self.location,
                type(exc).__name__,
                setting("PAGE_CACHE_REDIS_RETRY_SECONDS"),
            )
        self.retry_at = time.monotonic() + setting("PAGE_CACHE_REDIS_RETRY_SECONDS")

    def closed_now(self):
        """True when Redis may be used right away, False while the breaker is open (the
        caller falls back), None when this caller should probe (and recover) first."""
        if self.started and self.down_since is None:
            return True
        if self.down_since is not None and time.monotonic() < self.retry_at:
            return False
        return None


_breakers = {}
_breakers_lock = threading.Lock()


def breaker_for(location):
    breaker = _breakers.get(location)
    if breaker is not None:
        return breaker
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = Breaker(location)
        return breaker


def forget_breakers():
    """Every breaker as a newly started process has them (tests)."""
    with _breakers_lock:
        _breakers.clear()


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache that answers like DummyCache while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.location = str(server)

    @property
    def breaker(self):
        # Looked up each time, not kept: Django builds a cache object per thread, and they
        # must share what they know about the server.
        return breaker_for(self.location)

    def _guard(self, call, fallback, *args):
        breaker = self.breaker
        state = breaker.closed_now()
        if state is False:
            return fallback()
        if state is None and not self._probe(breaker):
            return fallback()
        try:
            return call(*args)
        except OUTAGE_ERRORS as exc:
            breaker.trip(exc)
            return fallback()

    def _probe(self, breaker):
        """One caller at a time finds out whether Redis is back and, if it is, puts right
        what the outage may have left stale before anyone reads from it."""
        if not breaker.lock.acquire(blocking=False):
            return False  # another thread is probing: fall back meanwhile
        try:
            state = breaker.closed_now()
            if state is not None:
                return state
            was_down = breaker.down_since
            try:
                self.client(write=True).ping()
                recovered = recovery.after_outage(
                    self, was_down=was_down is not None, first_use=not breaker.started
                )
            except OUTAGE_ERRORS as exc:
                breaker.trip_locked(exc)
                return False
            breaker.started = True
            breaker.down_since = None
        finally:
            breaker.lock.release()
        if was_down is not None:
            logger.warning(
                "Redis at %s answers again after %.0fs",
                breaker.location,
                time.monotonic() - was_down,
            )
        if recovered:
            # After the breaker closed, so what receivers delete reaches Redis.
            recovery.cache_recovered.send(sender=type(self), backend=self)
        return True

    def set_unguarded(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """set() that raises on an outage: for the recovery itself, inside the probe."""
        return super().set(key, value, timeout, version)

    def client(self, *, write=False):
        """The redis-py client of this backend's pool, for what the cache API lacks."""
        return self._cache.get_client(write=write)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().add, lambda: True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard(super().get, lambda: default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set, lambda: None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().touch, lambda: False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(super().delete, lambda: False, key, version)

    def get_many(self, keys, version=None):
        return self._guard(super().get_many, dict, keys, version)

    def has_key(self, key, version=None):
        return self._guard(super().has_key, lambda: False, key, version)

    def incr(self, key, delta=1, version=None):
        def not_found():
            raise ValueError(f"Key '{key}' not found")

        return self._guard(super().incr, not_found, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Every key reported as not stored, so a caller that must know (a purge) does.
        return self._guard(super().set_many, lambda: list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard(super().delete_many, lambda: None, keys, version)

    def clear(self):
        return self._guard(super().clear, lambda: False)
