"""Health endpoints for load balancers and orchestrators: ``/health/live`` and ``/health/ready``.

What it is for: a load balancer should stop sending readers to an instance that cannot serve
them, and only to such an instance. ``live`` says the process answers (no I/O at all). ``ready``
runs the checks named in HEALTH_READINESS_CHECKS (dotted paths to callables returning
``{"name": str, "ok": bool, "detail": dict}``, plus ``"fatal": True`` when the failure means
this instance must not take traffic) and answers:

* ``ok`` (200): every check passed;
* ``degraded`` (200): something shared is failing (the database, Redis, the task worker, the
  lead spool). Every instance sees the same shared failure, and each can still serve cached
  pages and keep leads in the spool; pulling them all out would turn that into a full outage;
* ``unavailable`` (503): a fatal failure of this instance (unapplied migrations: its code does
  not match the database).

The public gets the status code and that one word; the checks' details (JSON) only go to a
caller with ``Authorization: Bearer <HEALTH_TOKEN>`` or from HEALTH_TRUSTED_ADDRESSES. Never
cached (no-store, and /health/ is in the page cache's skip paths). docs/deployment.md says how
to point a load balancer at them.
"""

import contextvars
import hmac
import ipaddress
import time
from datetime import timedelta

import redis as redis_client
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult, get_date_max
from ipware import get_client_ip

# Seconds a PING may take before Redis counts as unreachable: a probe must answer quickly.
REDIS_TIMEOUT = 1.0

# Set by the database check when it fails, so the checks after it that need the database
# report it unreachable at once instead of each waiting out the connect timeout again.
_database_down = contextvars.ContextVar("health_database_down", default=False)

# Migrations, once found applied, stay applied for this process's code (checking loads every
# migration file).
_migrations_applied = False


def database():
    """The default database answers SELECT 1."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        _database_down.set(True)
        raise
    return {"name": "database", "ok": True, "detail": {"vendor": connection.vendor}}


def redis():
    """Redis answers PING within REDIS_TIMEOUT, when REDIS_URL is set."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return {"name": "redis", "ok": True, "detail": {"configured": False}}
    # Through the cache itself too: in a process that lived through an outage, this is what
    # lets the fail-soft backend find Redis back and replace the page cache generation
    # (home/page_cache/recovery.py) even if no reader asks for a page meanwhile.
    cache.get("health:ready")
    client = redis_client.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()
    return {"name": "redis", "ok": True, "detail": {"configured": True}}


def migrations():
    """Every migration this code knows is applied to the database. Fatal when one is not:
    the code would read or write columns that are not there."""
    global _migrations_applied
    if _migrations_applied:
        return {"name": "migrations", "ok": True, "detail": {"remembered": True}}
    if _database_down.get():
        return _unreachable("migrations")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        unapplied = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
        return {
            "name": "migrations",
            "ok": False,
            "fatal": True,
            "detail": {"unapplied": unapplied[:20], "count": len(unapplied)},
        }
    _migrations_applied = True
    return {"name": "migrations", "ok": True, "detail": {"remembered": False}}


def task_queue():
    """No background task ready to run has waited longer than HEALTH_TASK_QUEUE_MAX_AGE
    seconds (the worker is running and keeping up)."""
    if _database_down.get():
        return _unreachable("task_queue")
    ready = DBTaskResult.objects.ready()
    # A task waits from when it may run: its run_after, or when enqueued if it has none.
    never = get_date_max()
    since = [
        ready.filter(run_after=never).order_by("enqueued_at").values_list("enqueued_at").first(),
        ready.exclude(run_after=never).order_by("run_after").values_list("run_after").first(),
    ]
    waiting_since = min((row[0] for row in since if row), default=None)
    waited = (timezone.now() - waiting_since) if waiting_since else timedelta(0)
    limit = settings.HEALTH_TASK_QUEUE_MAX_AGE
    return {
        "name": "task_queue",
        "ok": waited.total_seconds() <= limit,
        "detail": {"oldest_wait_seconds": int(waited.total_seconds()), "max_age_seconds": limit},
    }


def _unreachable(name):
    return {"name": name, "ok": False, "detail": {"error": "database unreachable"}}


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"[:300]


def _run(path):
    started = time.monotonic()
    try:
        check = import_string(path)
    except Exception as exc:
        # A check that cannot be loaded has failed; the others still run.
        result = {"name": path, "ok": False, "detail": {"error": f"cannot load: {_describe(exc)}"}}
    else:
        try:
            result = dict(check())
        except Exception as exc:
            result = {"name": path.rpartition(".")[2], "ok": False, "detail": {}}
            result["detail"]["error"] = _describe(exc)
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def run_checks():
    """Each readiness check's result, in the order HEALTH_READINESS_CHECKS names them."""
    token = _database_down.set(False)
    try:
        return [_run(path) for path in settings.HEALTH_READINESS_CHECKS]
    finally:
        _database_down.reset(token)


def overall(results):
    """'unavailable' on a fatal failure, 'degraded' on any other, else 'ok'."""
    if any(not result["ok"] and result.get("fatal") for result in results):
        return "unavailable"
    if all(result["ok"] for result in results):
        return "ok"
    return "degraded"


def may_see_details(request):
    """A caller with the bearer token (compared in constant time), or from a trusted address
    as django-ipware finds it behind TRUSTED_PROXY_COUNT proxies."""
    token = settings.HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    ):
        return True
    ip, _routable = get_client_ip(request)
    try:
        address = ipaddress.ip_address(ip or request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network) for network in settings.HEALTH_TRUSTED_ADDRESSES
    )


def _plain(word, status):
    return HttpResponse(word + "\n", status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def live(request):
    """The process is up and answering: no database, cache or file is touched."""
    return _plain("ok", 200)


@never_cache
@require_safe
def ready(request):
    """Whether this instance should take traffic; see the module's docstring."""
    results = run_checks()
    status = overall(results)
    code = 503 if status == "unavailable" else 200
    if may_see_details(request):
        return JsonResponse({"status": status, "checks": results}, status=code)
    return _plain(status, code)
