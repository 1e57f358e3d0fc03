"""The hook that counts page views: first in MIDDLEWARE, so it sees every answer, whether the
page cache served it (home/page_cache/middleware.py answers hits before any view runs) or a
view rendered it."""

import logging

from leads import conf
from leads.conversion import classify, counter

logger = logging.getLogger(__name__)


class PageViewCountMiddleware:
    """Counts an anonymous reader's GET of a public page that answered with the page
    (classify.py says which do) in this process's tally (counter.py). Sets no cookie and
    adds nothing to the page; an error here is logged and the page is served as it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = None
        if conf.LEADS_COUNT_VIEWS:
            try:
                view = classify.candidate(request)
            except Exception:
                logger.exception("Page view not counted")
        response = self.get_response(request)
        if view is not None:
            try:
                if classify.counts(request, response):
                    counter.count(view)
            except Exception:
                logger.exception("Page view not counted")
        return response
