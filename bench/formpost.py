"""The leads steps of `make bench`: the form POST burst and the CSV export.

Targets (issue 8), as reported by `make bench`:
* form POST: 5,000 submissions from 50 concurrent clients -> exactly 5,000 leads, 0 errors,
  p99 under 500 ms, exactly one notification task per genuine lead;
* CSV export of 100,000 leads: 50,000 rows/s or more, worker memory growing by < 50 MB,
  compared with PostgreSQL's own `COPY ... TO STDOUT WITH CSV` of the same rows.

The POST steps fetch the form from `FORM_PAGE` (the home page shows the site's default form)
and run under production limits (leads/limits.py; nothing is raised for the bench). Each
client binds its own loopback address (127.0.0.0/8 all reaches the server), so the server
sees readers from many addresses, as it does behind no proxy:
* `form_post_load` posts `SUBMISSIONS` distinct readers, `READERS_PER_ADDRESS` per address;
* `one_address_load` posts `ONE_ADDRESS_READERS` distinct readers from a single address as
  fast as `CONCURRENCY` clients can, the busy day of issue 21 compressed into seconds.
Both report what readers were told (stored, refused with 429) and what the database holds
(new leads, held for review, spam), read through Django in a subprocess.
"""

import concurrent.futures
import html.parser
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

from leads.conf import DEFAULTS as LEADS_DEFAULTS

FORM_ACTION = "/leads/callback/"
FORM_PAGE = "/"
SUBMISSIONS = 5_000
CONCURRENCY = 50
# A few colleagues behind each address: the first ten leads of an address in ten minutes
# are announced at once, the rest held for review (LEADS_RATE_LIMIT).
READERS_PER_ADDRESS = 5
ONE_ADDRESS_READERS = 1_000
ONE_ADDRESS = "127.2.0.1"
# Seconds a request may wait for the server at each step (connect, send, each read).
HTTP_TIMEOUT = 30


class _FormFinder(html.parser.HTMLParser):
    """Collects the inputs of the first form posting to FORM_ACTION."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.done = False
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done and FORM_ACTION in (attrs.get("action") or ""):
            self.inside, self.action = True, attrs["action"]
        elif self.inside and tag in ("input", "select", "textarea") and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                self.fields.setdefault(attrs["name"], attrs.get("value", "on"))
            else:
                self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def find_form(page_html):
    """The action and fields of the page's call-back form (action None when there is none)."""
    finder = _FormFinder()
    finder.feed(page_html)
    return finder.action, finder.fields


def client_address(n):
    """The n-th client's own loopback address (127.1.0.1 onwards), as a distinct source."""
    return f"127.1.{n // 250 % 250}.{n % 250 + 1}"


def http_request(host, port, method, path, body=None, headers=None, source=None):
    """One request on a new connection; from the loopback address `source` when given."""
    connection = http.client.HTTPConnection(
        host, port, timeout=HTTP_TIMEOUT, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


RUN = uuid.uuid4().hex[:8]


def reader_email(i):
    return f"reader{i}.{RUN}@bench.example"


def fetch_form(host, port, path=FORM_PAGE):
    """The call-back form as a reader's browser finds it on `path` (its action and fields),
    or None when the page has no form posting to FORM_ACTION."""
    status, body, _ = http_request(host, port, "GET", path)
    finder = _FormFinder()
    finder.feed(body.decode("utf-8", "replace"))
    if status != 200 or finder.action is None:
        return None
    return finder


def min_fill_seconds(env):
    """How long a reader takes at least to fill the form on the server run with `env`: the
    bench's submissions wait this long after fetching it, so none is flagged as too fast
    (spam gets no notification)."""
    return float(env.get("LEADS_MIN_FILL_SECONDS") or LEADS_DEFAULTS["LEADS_MIN_FILL_SECONDS"])


def post_headers(host, port, path=FORM_PAGE):
    """What a browser sends with the form from our own page (the view checks the origin)."""
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://{host}:{port}",
        "Referer": f"http://{host}:{port}{path}",
    }


def submission(i, hidden):
    """One genuine-looking lead: distinct name, phone and email per submission (and per run,
    so a second run within the duplicate window is not folded into the first), and the
    submission key the page's script adds."""
    fields = dict(hidden)
    fields.update(
        full_name=f"Bench Reader {i}",
        phone=f"07123 {i % 1_000_000:06d}",
        email=reader_email(i),
        submission_key=str(uuid.uuid4()),
        callback_time=fields.get("callback_time") or "morning",
        privacy_ack="on",
    )
    # Honeypots stay empty; the fields above are the contract in DESIGN.md.
    return urllib.parse.urlencode(fields)


def percentile(sorted_values, pct):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def in_django(env, code):
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode:
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def count_leads(env):
    """[all leads, not spam, held for review]."""
    return in_django(
        env,
        "from django.apps import apps\nimport json\n"
        "Lead = apps.get_model('leads', 'Lead')\n"
        "print(json.dumps([Lead.objects.count(), Lead.objects.filter(is_spam=False).count(), "
        "Lead.objects.filter(needs_review=True).count()]))",
    )


def count_notification_tasks(env):
    return in_django(
        env,
        "import json\nfrom django_tasks_db.models import DBTaskResult\n"
        "print(json.dumps(DBTaskResult.objects.filter("
        "task_path='leads.tasks.send_lead_notification').count()))",
    )


def _post_many(host, port, form, numbers, concurrency, source_of):
    """Posts reader `i` from `source_of(i)` for each i in numbers; returns the outcomes:
    (status, seconds, Retry-After) each, and the seconds the whole burst took."""
    headers = post_headers(host, port)

    def post(i):
        started = time.perf_counter()
        try:
            code, _, answer = http_request(
                host,
                port,
                "POST",
                form.action,
                submission(i, form.fields),
                headers,
                source=source_of(i),
            )
        except OSError:
            code, answer = 0, {}
        return code, time.perf_counter() - started, answer.get("Retry-After")

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(post, numbers))
    return outcomes, time.perf_counter() - started


def _report(outcomes, took, env, leads_before, tasks_before):
    """What readers were told and what the database now holds, as one bench row."""
    n = len(outcomes)
    latencies = sorted(latency for _, latency, _ in outcomes)
    refused = [(latency, retry) for code, latency, retry in outcomes if code == 429]
    told_success = sum(1 for code, _, _ in outcomes if code in (200, 303))
    leads_after = count_leads(env)
    tasks_after = count_notification_tasks(env)

    def new(index):
        if leads_after is None or leads_before is None:
            return None
        return leads_after[index] - leads_before[index]

    return {
        "submissions": n,
        "seconds": round(took, 2),
        "per_second": round(n / took, 1),
        "told_success": told_success,
        "refused_429": len(refused),
        "errors": n - told_success - len(refused),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "refused_p99_ms": round(percentile(sorted(x for x, _ in refused), 99) * 1000, 1),
        "retry_after_s": sorted({int(retry) for _, retry in refused if retry})[:3],
        "new_leads": new(0),
        "new_genuine_leads": new(1),
        "new_held_for_review": new(2),
        "new_tasks": None if tasks_after is None else tasks_after - (tasks_before or 0),
    }


def _ready_form(host, port, env):
    form = fetch_form(host, port)
    if form is not None:
        time.sleep(min_fill_seconds(env) + 0.5)
    return form


def form_post_load(host, port, env, n=SUBMISSIONS, concurrency=CONCURRENCY):
    """Posts n call-back requests from `concurrency` clients, READERS_PER_ADDRESS readers
    from each address; returns what happened."""
    form = _ready_form(host, port, env)
    if form is None:
        return {"skipped": f"no form posting to {FORM_ACTION} on {FORM_PAGE}"}
    leads_before, tasks_before = count_leads(env), count_notification_tasks(env)
    outcomes, took = _post_many(
        host,
        port,
        form,
        range(n),
        concurrency,
        lambda i: client_address(i // READERS_PER_ADDRESS),
    )
    row = _report(outcomes, took, env, leads_before, tasks_before)
    return {"concurrency": concurrency, "readers_per_address": READERS_PER_ADDRESS, **row}


def one_address_load(host, port, env, n=ONE_ADDRESS_READERS, concurrency=CONCURRENCY):
    """Posts n distinct readers from ONE_ADDRESS as fast as `concurrency` clients can."""
    form = _ready_form(host, port, env)
    if form is None:
        return {"skipped": f"no form posting to {FORM_ACTION} on {FORM_PAGE}"}
    leads_before, tasks_before = count_leads(env), count_notification_tasks(env)
    # Reader numbers of their own, so none repeats a reader of the other POST step.
    numbers = range(SUBMISSIONS, SUBMISSIONS + n)
    outcomes, took = _post_many(host, port, form, numbers, concurrency, lambda i: ONE_ADDRESS)
    row = _report(outcomes, took, env, leads_before, tasks_before)
    return {"concurrency": concurrency, **row}


EXPORT_PATH = "/admin/leads/lead/?export=csv"


def worker_pids(pid):
    """The gunicorn master's worker processes."""
    workers = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            workers.append(int(entry))
    return workers


def _rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


STAFF_SESSION = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user, _ = get_user_model().objects.get_or_create(
    username="bench-export", defaults={"is_staff": True, "is_superuser": True}
)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
# Past the admin's second factor, as the code page would record it (home/second_factor.py).
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "bench"})
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.create()
print(json.dumps(session.session_key))
"""

# The same rows as the desk's unfiltered CSV (leads.export.FIELDS, the list's order),
# streamed by PostgreSQL itself: the ceiling for any export written in Python.
COPY_SAME_ROWS = """
import json, time
from django.db import connection
from leads.export import FIELDS, copy_statement
from leads.models import Lead
queryset = Lead.objects.order_by("-created_at", "-pk").values_list(*FIELDS)
sql, params = queryset.query.sql_with_params()
rows = size = 0
with connection.cursor() as cursor:
    started = time.perf_counter()
    with cursor.copy(copy_statement(cursor, sql, params)) as copy:
        for data in copy:
            size += len(data)
            rows += bytes(data).count(b"\\n")
    took = time.perf_counter() - started
print(json.dumps({"rows": rows, "seconds": took, "bytes": size}))
"""


def csv_export_load(host, port, env, master_pid):
    """The desk's CSV export of every lead, streamed by a gunicorn worker: rows/s and the
    worker's resident memory growth (sampled from /proc every 10 ms), against PostgreSQL's
    `COPY (...) TO STDOUT WITH CSV` of the same rows in the same run."""
    session_key = in_django(env, STAFF_SESSION)
    if session_key is None:
        return {"skipped": "could not create a staff session"}
    workers = worker_pids(master_pid)
    baseline = {pid: _rss_mib(pid) for pid in workers}
    peak = dict(baseline)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], _rss_mib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    connection = http.client.HTTPConnection(host, port, timeout=300)
    started = time.perf_counter()
    connection.request("GET", EXPORT_PATH, headers={"Cookie": f"sessionid={session_key}"})
    response = connection.getresponse()
    size = lines = 0
    first_byte = None
    while True:
        chunk = response.read(65536)
        if not chunk:
            break
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    took = time.perf_counter() - started
    connection.close()
    done.set()
    sampler.join()
    if response.status != 200:
        return {"skipped": f"the export answered {response.status}"}
    rows = lines - 1  # the header row
    growth = max(peak[pid] - baseline[pid] for pid in workers) if workers else None
    copy = in_django(env, COPY_SAME_ROWS) or {}
    rate = rows / took if took else 0
    copy_rate = copy.get("rows", 0) / copy["seconds"] if copy.get("seconds") else 0
    return {
        "rows": rows,
        "seconds": round(took, 2),
        "rows_per_s": round(rate),
        "first_byte_ms": round((first_byte or 0) * 1000, 1),
        "MiB": round(size / 2**20, 1),
        "worker_rss_growth_MiB": None if growth is None else round(growth, 1),
        "worker_rss_peak_MiB": round(max(peak.values()), 1) if peak else None,
        "copy_rows": copy.get("rows"),
        "copy_rows_per_s": round(copy_rate),
        "export_to_copy_ratio": f"{100 * rate / copy_rate:.0f}%" if copy_rate else None,
    }
