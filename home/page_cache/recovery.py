"""Putting things right when Redis comes back, so no page purged during an outage is served
in its old form afterwards.

While Redis is unreachable a purge cannot replace version tokens, and Redis may come back with
its old tokens and entries (a network cut, a stuck server) or empty (a restart). Rather than
replay the lost purges one by one, a process that lived through an outage replaces the
generation and epoch tokens as soon as Redis answers again, before it reads anything from it:
every page, fragment and site snapshot stored before is then out of date (none may be served
even as a previous copy), in every process, and each process's local layer is emptied by the
'*' message. A purge that failed is also recorded in the database (MissedPurge), so that a
process started after the outage, which never saw it, makes the same replacement once if no
process that did has done so yet.

Other keepers of derived data in the shared cache (the cookie groups, Wagtail's site root
paths) listen for ``cache_recovered`` and forget their copies.
"""

import logging

from django.apps import apps
from django.db import DatabaseError, transaction
from django.dispatch import Signal

from home.page_cache.keys import CHANNEL, EPOCH_KEY, GENERATION_KEY, new_token
from home.page_cache.local import existing_local_layer

logger = logging.getLogger(__name__)

# Sent with backend= after Redis answers again and the generation was replaced.
cache_recovered = Signal()


def _missed_purge_model():
    # Looked up when used: this module is imported with the cache backend, which Django may
    # build before the app registry is ready.
    return apps.get_model("home", "MissedPurge")


def record_missed_purge():
    """Remember in the database that a purge did not reach Redis."""
    try:
        # A savepoint: a failure here must not break the caller's transaction.
        with transaction.atomic():
            _missed_purge_model().objects.create()
    except Exception:
        # Never fail an editor's publish for this: the process that lost the purge also
        # replaces the generation when Redis answers again.
        logger.exception("page cache: could not record a missed purge")


def _missed_purges():
    """The newest recorded missed purge's id, 0 when none, None when the database cannot
    say (outside a request that may use it, or down)."""
    try:
        # A savepoint: the first cache use may come inside someone's transaction (a
        # migration, before the table exists), which a failed query must not abort.
        with transaction.atomic():
            newest = _missed_purge_model().objects.order_by("-pk").values_list("pk", flat=True)
            return newest.first() or 0
    except (DatabaseError, RuntimeError):
        # RuntimeError: a test that may not use the database.
        return None


def after_outage(backend, *, was_down, first_use):
    """Called by the backend, holding its breaker, once Redis answers a PING after an outage
    or for the first time in this process. Returns True when the generation was replaced.
    Redis errors propagate (the breaker opens again); database errors do not."""
    newest_missed = _missed_purges() if (was_down or first_use) else 0
    if not was_down and not newest_missed:
        return False
    # The epoch too: no page stored before the outage may be served even as a previous copy
    # (home/page_cache/revalidate.py), however recent, since purges were lost meanwhile.
    backend.set_unguarded(EPOCH_KEY, new_token(), timeout=None)
    backend.set_unguarded(GENERATION_KEY, new_token(), timeout=None)
    backend.client(write=True).publish(backend.make_key(CHANNEL), "*")
    layer = existing_local_layer()
    if layer is not None:
        layer.clear()
    if newest_missed:
        try:
            with transaction.atomic():
                _missed_purge_model().objects.filter(pk__lte=newest_missed).delete()
        except (DatabaseError, RuntimeError):
            logger.warning("page cache: could not clear the record of missed purges")
    logger.warning("page cache: generation replaced after a Redis outage")
    return True
