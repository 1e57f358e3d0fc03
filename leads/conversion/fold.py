"""The fold: the task worker moves the counts the web processes left in Redis into
PageViewDay, exactly once.

Each day's hash is renamed to a batch key of its own (atomic: a view counted a moment later
starts a new hash), read, and added to the database in one transaction that also records the
batch (ViewFold); only then is the batch deleted. A fold that dies after its commit finds the
batch recorded next time and only deletes it, so no view is added twice, and one that dies
before it finds the batch still in Redis and adds it, so no view is lost.
"""

import collections
import contextlib
import datetime
import json
import logging
import uuid

import redis
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads import conf
from leads.conversion import counter
from leads.conversion.classify import View
from leads.conversion.store import add_counts
from leads.models import PageViewDay, ViewFold

logger = logging.getLogger(__name__)


def batch_prefix():
    return f"{conf.LEADS_COUNT_KEY_PREFIX}:batch:"


def fold():
    """Folds every pending count into the database; returns how many views it added."""
    counter.flush()  # this process's own tally, if it counted any (tests, a shell)
    client = counter.redis_client()
    if client is None:
        return 0
    day_prefix = counter.day_key("")
    for key in client.scan_iter(match=day_prefix + "*", count=500):
        key = key.decode()
        day = key[len(day_prefix) :]
        # A key another fold renamed meanwhile is gone: RENAME fails and there is nothing to do.
        with contextlib.suppress(redis.ResponseError):
            client.rename(key, f"{batch_prefix()}{day}:{uuid.uuid4().hex}")
    added = 0
    for key in client.scan_iter(match=batch_prefix() + "*", count=500):
        added += _fold_batch(client, key.decode())
    return added


def _fold_batch(client, key):
    day_text, _, batch = key[len(batch_prefix()) :].partition(":")
    counted = {}
    for raw_field, raw_count in client.hgetall(key).items():
        try:
            view = View(*json.loads(raw_field))
            counted[view] = int(raw_count)
        except (TypeError, ValueError):
            logger.warning("Skipped an unreadable page-view field in %s", key)
    total = sum(counted.values())
    try:
        with transaction.atomic():
            ViewFold.objects.create(batch=batch)
            add_counts({datetime.date.fromisoformat(day_text): counted})
    except IntegrityError:
        total = 0  # folded before; only the deletion was missing
    client.delete(key)
    return total


def prune():
    """Forgets aggregates past LEADS_COUNT_RETENTION_DAYS and fold records past a week."""
    today = timezone.localdate()
    cutoff = today - datetime.timedelta(days=conf.LEADS_COUNT_RETENTION_DAYS)
    removed, _ = PageViewDay.objects.filter(day__lt=cutoff).delete()
    ViewFold.objects.filter(folded_at__lt=timezone.now() - datetime.timedelta(days=7)).delete()
    return removed


def unfolded():
    """{day: views} still waiting in Redis (the bench's exactness check; health)."""
    client = counter.redis_client()
    totals = collections.Counter()
    if client is None:
        return totals
    for prefix in (counter.day_key(""), batch_prefix()):
        for key in client.scan_iter(match=prefix + "*", count=500):
            day = key.decode()[len(prefix) :].partition(":")[0]
            totals[day] += sum(int(n) for n in client.hvals(key))
    return totals
