"""The fold as a background job of the task worker, booking its own next run."""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

from leads import conf, stalled
from leads.conversion.fold import fold, prune

logger = logging.getLogger(__name__)


@task()
def fold_page_views():
    """Moves the counted page views from Redis into the database, forgets aggregates past
    their retention, then books the next fold LEADS_COUNT_FOLD_SECONDS later."""
    try:
        added = fold()
        prune()
    except Exception as exc:  # Redis or the database away: the counts wait for the next fold
        logger.warning("Page views not folded (%s)", type(exc).__name__)
        added = None
    finally:
        # Whatever happened, the chain goes on.
        book_fold(
            run_after=timezone.now() + datetime.timedelta(seconds=conf.LEADS_COUNT_FOLD_SECONDS)
        )
    return added


def book_fold(run_after=None):
    """Books the fold unless one is already waiting; only with a backend that can defer (the
    fold books itself, which must not recurse)."""
    backend = fold_page_views.get_backend()
    if not backend.supports_defer:
        return None
    if stalled.waiting_jobs(fold_page_views).exists():
        return None
    job = fold_page_views
    if run_after is not None:
        job = job.using(run_after=run_after)
    return job.enqueue().id
