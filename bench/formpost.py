"""The leads steps of `make bench`: the form POST burst and the CSV export.

Targets (issue 8), as reported by `make bench`:
* form POST: 5,000 submissions from 50 concurrent clients -> exactly 5,000 leads, 0 errors,
  p99 under 500 ms, exactly one notification task per genuine lead;
* CSV export of 100,000 leads: 50,000 rows/s or more, worker memory growing by < 50 MB,
  compared with PostgreSQL's own `COPY ... TO STDOUT WITH CSV` of the same rows.

The POST step fetches the form from `FORM_PAGE` (the home page shows the site's default
form), posts `SUBMISSIONS` distinct readers through it and reads the counts of leads and
notification tasks through Django in a subprocess. Every submission comes from one loopback
address, so the bench server runs with the ordinary rate-limit setting raised to `RATE_LIMIT`
(`bench.__main__.bench_env` passes LEADS_RATE_LIMIT in its environment); the limit is still
counted on every POST, as in production.
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
# Submissions one address may send per window on the bench server: far above a whole run.
RATE_LIMIT = 100 * SUBMISSIONS
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


def http_request(host, port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT)
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
    return in_django(
        env,
        "from django.apps import apps\nimport json\n"
        "Lead = apps.get_model('leads', 'Lead')\n"
        "print(json.dumps([Lead.objects.count(), Lead.objects.filter(is_spam=False).count()]))",
    )


def count_notification_tasks(env):
    return in_django(
        env,
        "import json\nfrom django_tasks_db.models import DBTaskResult\n"
        "print(json.dumps(DBTaskResult.objects.filter("
        "task_path='leads.tasks.send_lead_notification').count()))",
    )


def form_post_load(host, port, env, n=SUBMISSIONS, concurrency=CONCURRENCY):
    """Posts n call-back requests from `concurrency` clients; returns what happened."""
    form = fetch_form(host, port)
    if form is None:
        return {
            "skipped": f"no form posting to {FORM_ACTION} on {FORM_PAGE} yet "
            "(enable when the leads feature lands; see bench/formpost.py)"
        }
    time.sleep(min_fill_seconds(env) + 0.5)
    leads_before = count_leads(env)
    tasks_before = count_notification_tasks(env)
    headers = post_headers(host, port)

    def post(i):
        started = time.perf_counter()
        try:
            code, _, _ = http_request(
                host, port, "POST", form.action, submission(i, form.fields), headers
            )
        except OSError:
            code = 0
        return code, time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(post, range(n)))
    took = time.perf_counter() - started
    latencies = sorted(latency for _, latency in outcomes)
    errors = sum(1 for code, _ in outcomes if code not in (200, 201, 204, 302, 303))
    leads_after = count_leads(env)
    tasks_after = count_notification_tasks(env)
    return {
        "submissions": n,
        "concurrency": concurrency,
        "seconds": round(took, 2),
        "per_second": round(n / took, 1),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "new_leads": None if leads_after is None else leads_after[0] - leads_before[0],
        "new_genuine_leads": None if leads_after is None else leads_after[1] - leads_before[1],
        "new_tasks": None if tasks_after is None else tasks_after - (tasks_before or 0),
    }


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
from leads.export import FIELDS
from leads.models import Lead
queryset = Lead.objects.order_by("-created_at", "-pk").values_list(*FIELDS)
sql, params = queryset.query.sql_with_params()
rows = size = 0
with connection.cursor() as cursor:
    statement = cursor.mogrify(sql, params)
    statement = statement.decode() if isinstance(statement, bytes) else statement
    started = time.perf_counter()
    with cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
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
