"""Load steps that wait for the leads feature: the form POST burst and the CSV export.

Targets (issue 8), as reported by `make bench`:
* form POST: 5,000 submissions from 50 concurrent clients -> exactly 5,000 leads, 0 errors,
  p99 under 500 ms, exactly one notification task per genuine lead;
* CSV export of 100,000 leads: 50,000 rows/s or more, worker memory growing by < 50 MB,
  compared with PostgreSQL's own `COPY ... TO STDOUT WITH CSV` of the same rows.

How the lead enables the POST step once /leads/callback/ exists
----------------------------------------------------------------
1. `leads.demo.bench_form_page()` returns the path of a page showing the call-back form
   (or `FORM_PAGE` below is used: the home page shows the site default form).
2. The rate limit must let one loopback address send 5,000 genuine submissions: give the
   bench server a setting for it (e.g. LEADS_RATE_LIMIT_EXEMPT=127.0.0.1 read from the
   environment in production.py) and add it to `bench.__main__.bench_env`.
3. `count_leads()` and `count_notification_tasks()` below read the counts through Django in a
   subprocess; adjust the model / task names if they differ.
Everything else (fetching the form, filling the fields, the concurrent client, percentiles)
is here and runs as soon as the form is found on the page.
"""

import concurrent.futures
import html.parser
import http.client
import json
import subprocess
import sys
import time
import urllib.parse

FORM_ACTION = "/leads/callback/"
FORM_PAGE = "/"
SUBMISSIONS = 5_000
CONCURRENCY = 50


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


def _request(host, port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def _submission(i, hidden):
    """One genuine-looking lead: distinct name, phone and email per submission."""
    fields = dict(hidden)
    fields.update(
        full_name=f"Bench Reader {i}",
        phone=f"07700 9{i:05d}"[:13],
        email=f"reader{i}@bench.example",
        callback_time=fields.get("callback_time") or "morning",
        privacy_ack="on",
    )
    # Honeypots stay empty; the fields above are the contract in DESIGN.md.
    return urllib.parse.urlencode(fields)


def _percentile(sorted_values, pct):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def _django(env, code):
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
    return _django(
        env,
        "from django.apps import apps\nimport json\n"
        "print(json.dumps(apps.get_model('leads', 'Lead').objects.count()))",
    )


def count_notification_tasks(env):
    return _django(
        env,
        "import json\nfrom django_tasks_db.models import DBTaskResult\n"
        "print(json.dumps(DBTaskResult.objects.filter(task_path__startswith='leads.').count()))",
    )


def form_post_load(host, port, env, n=SUBMISSIONS, concurrency=CONCURRENCY):
    """Posts n call-back requests from `concurrency` clients; returns what happened."""
    status, body, _ = _request(host, port, "GET", FORM_PAGE, headers={"X-Bench-Bypass": "1"})
    finder = _FormFinder()
    finder.feed(body.decode("utf-8", "replace"))
    if status != 200 or finder.action is None:
        return {
            "skipped": f"no form posting to {FORM_ACTION} on {FORM_PAGE} yet "
            "(enable when the leads feature lands; see bench/formpost.py)"
        }
    leads_before = count_leads(env)
    tasks_before = count_notification_tasks(env)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://{host}:{port}",
        "Referer": f"http://{host}:{port}{FORM_PAGE}",
    }

    def post(i):
        started = time.perf_counter()
        try:
            code, _, _ = _request(
                host, port, "POST", finder.action, _submission(i, finder.fields), headers
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
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "new_leads": None if leads_after is None else leads_after - (leads_before or 0),
        "new_tasks": None if tasks_after is None else tasks_after - (tasks_before or 0),
    }


def csv_export_load(host, port, env):
    """Placeholder until the leads desk's export exists: rows/s and worker memory growth,
    compared with `COPY (SELECT ...) TO STDOUT WITH CSV` of the same rows."""
    return {
        "skipped": "the leads export is not built yet (issue 8 target: >= 50,000 rows/s, "
        "< 50 MB worker growth, reported against PostgreSQL COPY of the same rows)"
    }
