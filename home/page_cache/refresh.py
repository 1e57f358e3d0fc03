"""Rendering a page again off the request path, after a site-wide purge made its copy old.

What it is for: after ``purge_all()`` the first reader of each page took the render lock and
rendered the page in its own request (home/page_cache/revalidate.py). Those renders were the
slowest requests of a purge storm, and under sync workers every request queued behind them
waited as long. Now that reader, too, gets the previous copy at once, and the page is handed
to this process's renderer: one thread that renders it through the ordinary request path
(Django's WSGI handler: every middleware, Wagtail's serve, and the page cache storing the
result under the tokens current when it renders), from a new request made of the reader's
address and headers with no body, no conditional headers and no cookies but those the cache
keys on. What is stored is what that reader would have got.

Bounds, so that a storm cannot starve readers:

* one renderer thread per process, and at most ``PAGE_CACHE_REFRESH_QUEUE`` pages handed to
  it and not yet done (the one it renders included); beyond, the reader lets the lock go at
  once and a later reader tries;
* the render budget (``revalidate.budget``) is spent by these renders as by those made in a
  request; readers hand over pages only while it allows, each waiting page sets aside what a
  render here usually takes, and the renderer checks it again before each render;
* a page that waited longer than half its lock is dropped (the lock may have expired and been
  taken by another process meanwhile).

The reader's single-flight lock is held until the render is stored (or dropped), so one
process renders each page. A page with no acceptable previous copy is still rendered in the
reader's request: there is nothing else to give them. The renderer closes its database
connections whenever its queue runs empty, and Django's request signals close or keep them
between renders exactly as for a request.
"""

import io
import logging
import os
import queue
import sys
import threading
import time

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from home.page_cache.conf import setting
from home.page_cache.revalidate import budget, release_lock

logger = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001

# Where the internal request carries its job: a WSGI environ key, which no client can set
# (request headers arrive as HTTP_*).
ENVIRON_KEY = "home.page_cache.refresh"

# Request headers the internal request leaves out: the reader's body, their conditional and
# partial requests (the stored page must be the whole 200), their cookies (rebuilt from
# PAGE_CACHE_VARY_COOKIES only) and their credentials (such requests are never cached anyway).
_DROPPED = frozenset(
    {
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "HTTP_COOKIE",
        "HTTP_AUTHORIZATION",
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_MATCH",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_IF_RANGE",
        "HTTP_RANGE",
    }
)


class Job:
    """One page handed over by a reader: the environ of the request that renders it, and
    the render lock the reader took (released by whoever finishes with the page)."""

    __slots__ = ("environ", "lock_key", "lock_token", "queued", "adopted", "reserved")

    def __init__(self, environ, lock_key, lock_token):
        self.environ = environ
        self.lock_key = lock_key
        self.lock_token = lock_token
        self.queued = time.monotonic()
        # Set by the middleware when the internal request takes the lock over.
        self.adopted = False
        # Render budget set aside while the page waits (Refresher.submit).
        self.reserved = 0.0


def job_of(request):
    """The job this request renders, when it is the renderer's internal request."""
    job = request.META.get(ENVIRON_KEY)
    return job if isinstance(job, Job) else None


def internal_environ(request, query_string):
    """A WSGI environ for rendering the reader's page again: the reader's address, scheme
    and headers, as a GET with this (canonical) query string, no body and only the cookies
    the cache keys on."""
    environ = {
        name: value
        for name, value in request.META.items()
        if isinstance(name, str)
        and isinstance(value, str)
        and name not in _DROPPED
        and not name.startswith("wsgi.")
    }
    environ.update(
        {
            "REQUEST_METHOD": "GET",
            "QUERY_STRING": query_string,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": request.META.get("wsgi.url_scheme", "http"),
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
    )
    # As the reader sent them: the middleware has checked that they look like a choice.
    kept = [
        f"{name}={request.COOKIES[name]}"
        for name in setting("PAGE_CACHE_VARY_COOKIES")
        if name in request.COOKIES
    ]
    if kept:
        environ["HTTP_COOKIE"] = "; ".join(kept)
    return environ


def _start_response(status, headers, exc_info=None):
    # The response goes nowhere: the page cache has stored it (or said why not).
    return lambda data: None


class Refresher:
    """A process's background renderer: one thread and the pages handed to it, started on
    first use (in the process that serves requests, so after gunicorn forks its workers)."""

    def __init__(self):
        self.lock = threading.Condition()
        self.queue = None
        self.thread = None
        self.pid = None
        # Pages handed over and not yet finished with (the bound, and wait_idle()).
        self.pending = 0
        # Seconds a render here takes (a moving average): set aside from the render budget
        # for each page waiting, so readers hand over only what the budget can pay for.
        self.estimate = 0.1

    def submit(self, request, query_string, refill):
        """Hand the reader's page over, with the lock ``refill`` holds; False (the lock
        still the reader's) when the renderer is off or has its fill."""
        size = setting("PAGE_CACHE_REFRESH_QUEUE")
        if size <= 0:
            return False
        job = Job(internal_environ(request, query_string), refill.lock_key, refill.lock_token)
        job.environ[ENVIRON_KEY] = job
        with self.lock:
            self._ensure_thread()
            if self.pending >= size:
                return False
            self.pending += 1
            job.reserved = self.estimate
            budget.spend(job.reserved)
            self.queue.put(job)
        refill.hand_off()
        return True

    def _ensure_thread(self):
        alive = self.thread is not None and self.thread.is_alive()
        if self.pid != os.getpid() or not alive:
            # First use, a forked child (the parent's thread did not come along), or a thread
            # that died: a new queue and thread; the locks of pages lost with it expire.
            self.pid = os.getpid()
            self.pending = 0
            self.queue = queue.SimpleQueue()
            self.thread = threading.Thread(
                target=self._run, args=(self.queue,), name="page-cache-refresh", daemon=True
            )
            self.thread.start()

    def _run(self, work):
        # While this thread renders, a request thread waiting for the GIL (after each Redis
        # or socket round trip) waits up to the switch interval: 5 ms by default, several
        # times per request. A shorter interval changes nothing while only one thread runs.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        handler = None
        while True:
            job = work.get()
            # What was set aside comes back; the render spends what it takes (Refill.release).
            budget.spend(-job.reserved)
            try:
                if time.monotonic() - job.queued > setting("PAGE_CACHE_FILL_LOCK_SECONDS") / 2:
                    continue
                if not budget.allows():
                    # Spent while this page waited: readers keep the previous copy, and a
                    # later one hands the page over again.
                    continue
                if handler is None:
                    handler = WSGIHandler()
                began = time.monotonic()
                response = handler(job.environ, _start_response)
                # Sends request_finished, which closes or keeps the connection as after a
                # request (CONN_MAX_AGE).
                response.close()
                self.estimate = 0.8 * self.estimate + 0.2 * (time.monotonic() - began)
            except Exception:
                logger.exception("page cache: rendering a page again failed")
            finally:
                if not job.adopted:
                    release_lock(job.lock_key, job.lock_token)
                if work.empty():
                    # Nothing more to render for now: no connection held by an idle thread.
                    connections.close_all()
                with self.lock:
                    self.pending -= 1
                    self.lock.notify_all()

    def wait_idle(self, timeout=30.0):
        """Until every page handed over so far has been rendered (or dropped); True if so.
        For tests, and for whoever must know the renderer is done (a clean shutdown)."""
        with self.lock:
            return self.lock.wait_for(lambda: self.pending <= 0, timeout=timeout)


refresher = Refresher()
