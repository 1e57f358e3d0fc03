"""Each process's own copy of recent entries and tokens, so most hits need no Redis round trip.

Only with Django's Redis cache backend: every purge is announced on a Redis pub/sub channel,
and a process trusts its copy only while its subscription to that channel is alive (see
LocalLayer). Shared fragments and the site snapshot's tokens are kept here the same way.
"""

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict

from home.page_cache.adapters.django import redis_backend, redis_client
from home.page_cache.conf import setting
from home.page_cache.keys import CHANNEL

logger = logging.getLogger(__name__)


def redis_down(backend):
    """Whether the fail-soft backend (home/page_cache/backend.py) has found Redis unreachable
    and is not asking it for now."""
    breaker = getattr(backend, "breaker", None)
    return breaker is not None and breaker.is_down


def publish(message):
    """Tell every process's local layer what was purged ('*' for everything). False when
    Redis could not be told."""
    backend = redis_backend()
    if backend is None:
        return True
    if redis_down(backend):
        return False
    try:
        redis_client(backend, write=True).publish(backend.make_key(CHANNEL), message)
    except Exception:
        logger.warning("page cache: could not announce a purge")
        return False
    return True


class LocalLayer:
    """A process's own copy of recent entries and tokens, so a hit need not ask Redis.

    It is trusted only while its pub/sub subscription to the purge channel is alive: before
    each use every purge message already delivered is applied (a non-blocking read, no
    thread), a PING every second proves the connection, and a (re)subscription, an error or
    two seconds without a PONG empties it. So a purge that has returned in any process is seen
    here on the next request, like the tokens in Redis.
    """

    PING_EVERY = 1.0
    DEAD_AFTER = 2.5
    MAX_BYTES = 32 * 1024 * 1024

    def __init__(self, backend, size):
        self.backend = backend
        self.size = size
        self.pid = os.getpid()
        self.entries = OrderedDict()
        self.fragments = OrderedDict()
        # What each page declared it reads, by declared key: (generation, path token, names).
        self.declared = {}
        self.tokens = {}
        self.bytes = 0
        self.pubsub = None
        self.last_pong = 0.0
        self.last_ping = 0.0
        self.retry_at = 0.0
        self.reconnected = False

    def _on_connect(self, connection):
        self.reconnected = True

    def clear(self):
        self.entries.clear()
        self.fragments.clear()
        self.declared.clear()
        self.tokens.clear()
        self.bytes = 0

    def forget(self, keys):
        for key in keys:
            self.tokens.pop(key, None)

    def _close(self):
        self.clear()
        if self.pubsub is not None:
            with contextlib.suppress(Exception):  # already broken; being discarded
                self.pubsub.close()
        self.pubsub = None
        self.retry_at = time.monotonic() + 5

    def usable(self):
        now = time.monotonic()
        if redis_down(self.backend):
            # Purges are not reaching Redis: nothing kept here can be trusted.
            if self.pubsub is not None or self.entries or self.tokens:
                self._close()
            return False
        if self.pubsub is None:
            if now < self.retry_at:
                return False
            try:
                self.pubsub = redis_client(self.backend).pubsub()
                self.pubsub.subscribe(self.backend.make_key(CHANNEL))
                # redis-py reconnects and resubscribes by itself; purges published while it
                # was away were missed, so every reconnection empties this layer.
                self.pubsub.connection.register_connect_callback(self._on_connect)
            except Exception:
                logger.warning("page cache: no purge subscription; local layer off for now")
                self._close()
                return False
        try:
            if now - self.last_ping > self.PING_EVERY:
                self.pubsub.ping()
                self.last_ping = now
            while True:
                message = self.pubsub.get_message(timeout=0)
                if message is None:
                    break
                kind = message["type"]
                if kind == "pong":
                    self.last_pong = now
                elif kind == "subscribe":
                    # (Re)connected: anything published meanwhile was missed.
                    self.clear()
                    self.last_pong = now
                elif kind == "message":
                    data = message["data"].decode()
                    if data == "*":
                        self.clear()
                    else:
                        self.forget(data.split("\n"))
            if self.reconnected:
                self.reconnected = False
                self.clear()
        except Exception:
            logger.warning("page cache: purge subscription lost; local layer off for now")
            self._close()
            return False
        return now - self.last_pong < self.DEAD_AFTER

    def remember(self, entry_key, entry, tokens):
        size = len(entry[4])
        if size > self.MAX_BYTES // 16:
            return
        self.tokens.update(tokens)
        if len(self.tokens) > 20 * self.size:
            self.tokens.clear()
        old = self.entries.pop(entry_key, None)
        if old is not None:
            self.bytes -= len(old[4])
        self.entries[entry_key] = entry
        self.bytes += size
        while len(self.entries) > self.size or self.bytes > self.MAX_BYTES:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= len(dropped[4])

    def remember_fragment(self, entry_key, entry, tokens):
        """Like remember(), for a shared fragment: (tokens, html), checked the same way."""
        self.tokens.update(tokens)
        self.fragments.pop(entry_key, None)
        self.fragments[entry_key] = entry
        while len(self.fragments) > 2 * self.size:
            self.fragments.popitem(last=False)


_local = threading.local()


def local_layer():
    """This thread's layer (created on first use), or None when it is off."""
    size = setting("PAGE_CACHE_LOCAL_ENTRIES")
    backend = redis_backend()
    if not size or backend is None:
        return None
    layer = getattr(_local, "layer", None)
    if layer is None or layer.backend is not backend or layer.pid != os.getpid():
        # New thread, new backend (settings changed in tests) or a forked worker.
        layer = _local.layer = LocalLayer(backend, size)
    return layer


def existing_local_layer():
    """This thread's layer if one was made, without making one (for purges)."""
    return getattr(_local, "layer", None)


def checked_local_layer(request=None):
    """The local layer if it can be trusted now, or None; asked once per request, so the
    parts of one page (its fragments, the site snapshot) all see the same purges."""
    local = local_layer()
    if local is None:
        return None
    usable = getattr(request, "_page_cache_local_usable", None)
    if usable is None:
        usable = local.usable()
        if request is not None:
            request._page_cache_local_usable = usable
    return local if usable else None
