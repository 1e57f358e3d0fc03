"""Each web process's tally of page views, handed to Redis every few seconds.

A view costs the request one dictionary increment under a lock: no database write and no
Redis round trip. A daemon thread per process (started by the first view after the process
starts or forks) hands the tally to Redis every LEADS_COUNT_FLUSH_SECONDS as one pipeline
of HINCRBYs into a hash per day; the task worker folds those hashes into PostgreSQL
(leads/conversion/fold.py). Without a Redis for counts the hand-over writes to the database
itself, from the thread, never from a request.

What can be lost, and nothing else: a process killed with SIGKILL loses its last few seconds;
while Redis is unreachable the tally is kept and handed over when it answers (up to
MAX_PENDING distinct rows, then new ones are dropped); a Redis that loses its data loses what
it held since the last fold (LEADS_COUNT_FOLD_SECONDS). Counting never fails a request.
"""

import atexit
import collections
import datetime
import json
import logging
import os
import threading

from django.utils import timezone

from leads import conf
from leads.conversion.store import add_counts
from leads.redis_clients import client_for

logger = logging.getLogger(__name__)

# Distinct (day, view) rows a process keeps while it cannot hand them over.
MAX_PENDING = 50_000
_REDIS_TIMEOUT = 0.5

_lock = threading.Lock()
_tally = collections.Counter()
_flusher = None
_flusher_pid = None
_stop = threading.Event()


def count(view, day=None):
    """Adds one view to this process's tally (cheap; called by the middleware)."""
    key = ((day or timezone.localdate()).isoformat(), view)
    with _lock:
        if key in _tally or len(_tally) < MAX_PENDING:
            _tally[key] += 1
        if _flusher_pid != os.getpid():
            _start_flusher()


def pending():
    """How many views this process has counted and not yet handed over."""
    with _lock:
        return sum(_tally.values())


def redis_client():
    """The Redis that keeps the counts until the fold, or None."""
    return client_for(conf.LEADS_COUNT_REDIS_URL, _REDIS_TIMEOUT, _REDIS_TIMEOUT)


def day_key(day):
    return f"{conf.LEADS_COUNT_KEY_PREFIX}:day:{day}"


def field(view):
    """The Redis hash field of one view: its dimensions as a JSON list."""
    return json.dumps(list(view), ensure_ascii=False, separators=(",", ":"))


def flush():
    """Hands this process's tally to Redis (or the database); returns how many views went.

    The tally is swapped out under the lock and put back whole if the hand-over fails, so a
    view is either handed over once or still here."""
    global _tally
    with _lock:
        if not _tally:
            return 0
        taken, _tally = _tally, collections.Counter()
    try:
        client = redis_client()
        if client is None:
            by_day = collections.defaultdict(dict)
            for (day, view), n in taken.items():
                by_day[datetime.date.fromisoformat(day)][view] = n
            add_counts(by_day)
        else:
            # MULTI/EXEC: all of the tally or none of it.
            pipe = client.pipeline(transaction=True)
            for (day, view), n in taken.items():
                pipe.hincrby(day_key(day), field(view), n)
            pipe.execute()
    except Exception as exc:  # kept for the next hand-over; never raised into a request
        logger.warning("Page views not handed over yet (%s)", type(exc).__name__)
        with _lock:
            for key, n in taken.items():
                if key in _tally or len(_tally) < MAX_PENDING:
                    _tally[key] += n
        return 0
    return sum(taken.values())


def _start_flusher():
    # Called with _lock held, in a process that has no flusher yet (new, or forked).
    global _flusher, _flusher_pid
    _flusher_pid = os.getpid()
    seconds = conf.LEADS_COUNT_FLUSH_SECONDS
    if not seconds:
        return
    _stop.clear()
    _flusher = threading.Thread(
        target=_flush_every, args=(seconds,), name="page-view-flusher", daemon=True
    )
    _flusher.start()


def _flush_every(seconds):
    while not _stop.wait(seconds):
        flush()


@atexit.register
def _flush_at_exit():
    # A gunicorn worker stopping gracefully (a restart, a deploy) hands over what it counted.
    if _tally:
        flush()
