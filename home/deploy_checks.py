"""What a production deployment must have that settings alone cannot see: the number of app
server processes (WEB_CONCURRENCY, read by deploy/gunicorn.conf.py) against the shared cache
(REDIS_URL). `manage.py check --deploy` warns; the gunicorn configuration refuses to start.

Without REDIS_URL each process keeps its own cache: after a publish, readers served by the
other processes get the old page until it expires, and the call-back form's rate limit and
duplicate guard count per process, so a client gets the limit once per process.
"""

import os

from django.core.checks import Warning

SHARED_CACHE_WHY = (
    "Without a shared cache each process keeps its own page cache, rate limits and duplicate "
    "guard: after a publish, readers served by the other processes get the old page until "
    "it expires, and the call-back form's rate limit is multiplied by the number of "
    "processes."
)


def web_concurrency(environ=None):
    """The number of app server processes WEB_CONCURRENCY asks for (1 when unset)."""
    raw = (os.environ if environ is None else environ).get("WEB_CONCURRENCY", "").strip()
    if not raw:
        return 1
    try:
        count = int(raw)
    except ValueError:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number, not {raw!r}.") from None
    if count < 1:
        raise ValueError(f"WEB_CONCURRENCY must be at least 1, not {count}.")
    return count


def shared_cache_problem(environ=None):
    """Why this environment must not run as configured, or None when it may."""
    environ = os.environ if environ is None else environ
    processes = web_concurrency(environ)
    if processes > 1 and not environ.get("REDIS_URL", "").strip():
        return (
            f"WEB_CONCURRENCY is {processes} but REDIS_URL is not set. {SHARED_CACHE_WHY} "
            "Set REDIS_URL to a Redis every process shares, or run one process "
            "(WEB_CONCURRENCY=1)."
        )
    return None


def check_shared_cache(app_configs=None, **kwargs):
    """`manage.py check --deploy`: several app server processes need REDIS_URL."""
    try:
        problem = shared_cache_problem()
    except ValueError as error:
        return [Warning(str(error), id="home.W002")]
    if problem is None:
        return []
    return [
        Warning(
            problem,
            hint="Set REDIS_URL, or WEB_CONCURRENCY=1.",
            id="home.W001",
        )
    ]
