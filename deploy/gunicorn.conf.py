"""gunicorn's settings for the site: `gunicorn -c deploy/gunicorn.conf.py` (serves cms.wsgi).

From the environment: GUNICORN_BIND (default 127.0.0.1:8000, where deploy/varnish/site.vcl
looks), WEB_CONCURRENCY (worker processes, default 1), GUNICORN_TIMEOUT (seconds a request
may take, default 30), GUNICORN_ACCESS_LOG (a path or "-"; off by default).

Refuses to start with more than one worker and no REDIS_URL (home/deploy_checks.py says why).
Restarts: SIGHUP to the master replaces every worker gracefully, a worker's SIGTERM lets it
finish its requests first (docs/deployment.md, "Deploying and restarting").
"""

import gc
import os
import sys
from pathlib import Path

# The config file is read before Django starts; the rule it shares with `check --deploy`
# needs only the environment.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from home.deploy_checks import shared_cache_problem, web_concurrency  # noqa: E402

try:
    _problem = shared_cache_problem()
except ValueError as error:
    raise SystemExit(f"gunicorn: {error}") from None
if _problem:
    raise SystemExit(f"gunicorn refuses to start: {_problem}")

wsgi_app = "cms.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = web_concurrency()
worker_class = "sync"
# A request may take this long (the largest XLSX export takes about 17 s) before its worker
# is killed and replaced; on SIGTERM or SIGHUP a worker gets as long to finish what it holds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
# Behind Varnish or a load balancer on the same network: keep its connections briefly.
keepalive = 5
# Each worker is replaced after about this many requests, at different times (jitter), so
# slow growth in memory never builds up and the workers never restart together.
max_requests = 2000
max_requests_jitter = 200
# The app is loaded in each worker after the fork, so SIGHUP loads new code.
preload_app = False


def post_worker_init(worker):
    """Once the worker has loaded the app: its modules, models, URLconf and settings live as
    long as the worker, so the garbage collector stops walking them in every full collection
    (about a millisecond a page render; bench: `python -m bench render`)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's URLs and views, as a request would
    gc.freeze()


# What a worker's first requests make stays for good too: compiled templates, the site snapshot
# and its catalog of case studies, prepared SQL. Frozen once after this many requests, the
# garbage collector stops walking them in full collections (about 0.4 ms a cold page render,
# in-process). Only the first snapshot is frozen: once a publish replaces it, it is memory the
# worker keeps (a few megabytes at most) until max_requests replaces the worker.
FREEZE_AFTER_REQUESTS = 50


def post_request(worker, req, environ, resp):
    """After the worker's FREEZE_AFTER_REQUESTS-th request: freeze what it has made so far."""
    if worker.nr == FREEZE_AFTER_REQUESTS:
        gc.freeze()


# Requests carry personal data in query strings (search terms, tracking) and referrers, so the
# access log is off unless asked for, and then has neither, nor the client's address.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
