"""What happens on a page-cache miss when an earlier copy of the page exists: one render of it
again (single-flight) while readers are served the earlier copy, if it is recent enough
(stale-while-revalidate), or wait briefly for the new one. Where the earlier copy may be
served, the reader who takes the lock gets it too and hands the render to the process's
background renderer (home/page_cache/refresh.py); otherwise that reader renders in its request.

What it is for: a site-wide purge (any snippet, settings or image save) makes every stored
page out of date at once. Without this, every reader of every page renders it until it is
stored again, and many readers of one page all render it together.

The rules, each checked here and nowhere else:

* A previous copy is served (``X-Cache: STALE``) only while its **path token is still
  current**: publishing, unpublishing, moving or deleting a page replaces the tokens of every
  path showing it (home/page_cache/purge.py), and none of those is ever served stale. Only a
  site-wide purge (the generation) may be.
* Only while its **epoch** is current (home/page_cache/keys.py): purges after which no earlier
  page may be shown (access rules, consent groups, Redis back after an outage) replace it.
* Only **within** ``PAGE_CACHE_STALE_SECONDS`` **of the purge that made it out of date**: the
  copy was current until its generation was replaced, and ``purge_all`` records when that was
  (``note_replaced``). No record (a generation replaced by anything else, or long ago): no
  previous copy.
* Only to readers the page cache serves at all: the middleware asks this module only for
  anonymous GET/HEAD requests without private cookies (so never a logged-in editor, a
  preview or a POST), and only with Redis reachable. This process's local layer never holds a
  previous copy: it keeps entries only on a current hit.

Rendering again is load-shed: a process spends at most ``PAGE_CACHE_REVALIDATE_SHARE`` of its
time on renders it could have answered with an acceptable previous copy (``RenderBudget``),
in a request or in the background; beyond that the reader gets the previous copy and a later
reader hands the page over. After a purge of every page, each page's first reader would
otherwise start a render, far more than the processes can make at once, and every reader
would queue behind them (or, in the background, wait for the GIL).

Shared fragments are never served stale: they are assembled into pages stored under the
current tokens, so a previous fragment would live on as a current page beyond the bound.
"""

import math
import secrets
import threading
import time

from django.core.cache import cache

from home.page_cache.conf import setting
from home.page_cache.keys import (
    EPOCH_KEY,
    FILL_PREFIX,
    GENERATION_KEY,
    REPLACED_PREFIX,
    new_token,
)

# An entry: (generation, path token, status, headers, content, declared query names, epoch).
ENTRY_LENGTH = 7
POLL_SECONDS = 0.02


def current_epoch(previous=None):
    """(The epoch token, when the previous entry's generation was replaced or None), in one
    round trip; the epoch is created if missing (first use, eviction), None without Redis."""
    keys = [EPOCH_KEY]
    if previous and len(previous) == ENTRY_LENGTH:
        keys.append(REPLACED_PREFIX + previous[0])
    found = cache.get_many(keys)
    epoch = found.get(EPOCH_KEY)
    if epoch is None:
        cache.add(EPOCH_KEY, new_token(), timeout=None)
        epoch = cache.get(EPOCH_KEY)
    return epoch, found.get(keys[-1]) if len(keys) > 1 else None


def note_replaced(generation):
    """Record that ``generation`` was replaced now (by purge_all): its pages are out of date
    from this moment. The first record stays (a later purge replacing the same token does not
    make its pages any newer)."""
    bound = setting("PAGE_CACHE_STALE_SECONDS")
    if bound > 0:
        cache.add(REPLACED_PREFIX + generation, time.time(), timeout=math.ceil(bound) + 1)


def make_entry(generation, path_token, status, headers, content, names, epoch):
    return (generation, path_token, status, headers, content, names, epoch)


def acceptable_stale(entry, path_token, epoch, replaced_at, now):
    """Whether this earlier copy may be served while the page is rendered again."""
    if not entry or len(entry) != ENTRY_LENGTH or not epoch or replaced_at is None:
        return False
    out_of_date = now - replaced_at
    return (
        entry[1] == path_token
        and entry[6] == epoch
        and 0 <= out_of_date <= setting("PAGE_CACHE_STALE_SECONDS")
    )


class RenderBudget:
    """A process's allowance of seconds for renders that a previous copy could have answered:
    it fills at PAGE_CACHE_REVALIDATE_SHARE seconds a second, up to BURST_SECONDS."""

    BURST_SECONDS = 2.0

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.level = self.BURST_SECONDS
        self.updated = time.monotonic()

    def allows(self):
        share = setting("PAGE_CACHE_REVALIDATE_SHARE")
        if share >= 1:
            return True
        with self.lock:
            now = time.monotonic()
            self.level = min(self.BURST_SECONDS, self.level + (now - self.updated) * share)
            self.updated = now
            return self.level > 0

    def spend(self, seconds):
        with self.lock:
            self.level -= seconds


budget = RenderBudget()


class Refill:
    """One miss of one page: what it was built under and whether it holds the render lock.

    ``decide()`` says what the request does: "render" (it holds the lock, or there is no
    earlier copy and so nothing to wait for), "refresh" (it holds the lock and may serve
    ``self.stale``: hand the page to the background renderer, home/page_cache/refresh.py,
    then ``hand_off()``), "stale" (serve ``self.stale``) or "wait" (call ``wait()``, then
    render if it returns nothing). ``release()`` always, after rendering.
    """

    def __init__(self, entry_key, path_key, generation, path_token, previous):
        self.entry_key = entry_key
        self.path_key = path_key
        self.generation = generation
        self.path_token = path_token
        self.previous = previous
        self.lock_key = FILL_PREFIX + entry_key
        self.lock_token = None
        self.stale = None
        # Why the previous copy is served (X-Cache-Reason): "budget", "rendering" (another
        # request or process holds the lock), "refreshing" (this one handed the page to the
        # background renderer) or "queue-full" (it could not, and let the lock go).
        self.reason = ""
        # Whether this render could have been answered with the previous copy instead.
        self.shed = False
        self.began = time.time()
        # Read before rendering, like the other tokens: a purge meanwhile shows in the entry.
        self.epoch, self.replaced_at = (
            current_epoch(previous) if generation and path_token else (None, None)
        )

    def decide(self):
        if not (self.epoch and self.previous):
            # No shared cache, or no earlier copy (never stored, evicted, or never storable):
            # nothing to serve or wait for, so render as before.
            return "render"
        stale_ok = acceptable_stale(
            self.previous, self.path_token, self.epoch, self.replaced_at, self.began
        )
        if stale_ok and not budget.allows():
            return self._serve_stale("budget")
        token = secrets.token_hex(8)
        if cache.add(self.lock_key, token, timeout=setting("PAGE_CACHE_FILL_LOCK_SECONDS")):
            self.lock_token = token
            if stale_ok and setting("PAGE_CACHE_REFRESH_QUEUE") > 0:
                self._serve_stale("refreshing")
                return "refresh"
            self.shed = stale_ok
            return "render"
        if stale_ok:
            return self._serve_stale("rendering")
        return "wait"

    def _serve_stale(self, reason):
        self.stale, self.reason = self.previous, reason
        return "stale"

    def wait(self):
        """The new copy once the renderer stores it, or None when it did not in time (or
        finished without storing one): then this request renders the page itself."""
        deadline = time.monotonic() + setting("PAGE_CACHE_FILL_WAIT_SECONDS")
        keys = [GENERATION_KEY, self.path_key, self.entry_key, self.lock_key]
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            found = cache.get_many(keys)
            entry = found.get(self.entry_key)
            generation, path_token = found.get(GENERATION_KEY), found.get(self.path_key)
            if entry and generation and entry[:2] == (generation, path_token):
                return entry
            if self.lock_key not in found:
                return None
        return None

    def hand_off(self):
        """The lock is the background renderer's now: this request no longer releases it."""
        self.lock_token = None

    def adopt(self, job):
        """Render for a reader who was given the previous copy: the background renderer's
        request (home/page_cache/refresh.py) takes over the lock that reader took."""
        self.lock_key, self.lock_token = job.lock_key, job.lock_token
        job.adopted = True
        self.shed = True
        return "render"

    def release(self):
        if self.lock_token is None:
            return
        if self.shed:
            # Wall time, in the background too: while the renderer runs, every request of
            # the process waits for the GIL after each round trip to Redis or the database.
            budget.spend(time.time() - self.began)
        release_lock(self.lock_key, self.lock_token)
        self.lock_token = None


def release_lock(lock_key, token):
    # Only our own lock: if it expired and another request took it, that one finishes.
    if cache.get(lock_key) == token:
        cache.delete(lock_key)
