"""`python -m bench rolling`: do restarts of the app servers cost readers anything?

gunicorn runs with deploy/gunicorn.conf.py and production settings (WEB_CONCURRENCY workers
sharing a private redis-server, as the configuration demands). Two `wrk` loads run at once
for DURATION seconds: readers GETting a page that is never cached (search), and readers
POSTing the call-back form, each request a different person. Meanwhile each worker in turn
gets SIGTERM (it finishes its request and exits; the master starts a new one), then the
master gets SIGHUP (every worker replaced gracefully). Reported: requests, responses other
than 2xx/3xx, socket errors; any failure makes the run exit non-zero.
"""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench import __main__ as harness
from bench import formpost
from tests.fault_services import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
REPORT_LUA = ROOT / "bench" / "wrk_report.lua"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PAGE = "/search/?q=breach"

# wrk sends every POST with a different reader (name, phone, email, submission key), so each
# one is stored as its own lead, with the hidden fields of one rendered form.
POST_LUA = """
dofile("%(report)s")
local counter = 0
local hidden = "%(hidden)s"
local prefix = "%(run)s"
request = function()
  counter = counter + 1
  local n = prefix .. counter
  local body = hidden .. "&full_name=Rolling+Reader+" .. n ..
    "&phone=07123+" .. string.format("%%06d", (tonumber(n) %% 1000000)) ..
    "&email=rolling" .. n .. "%%40bench.example&callback_time=morning&privacy_ack=on" ..
    "&submission_key=" .. string.format("%%08x-0000-4000-8000-%%012d", counter, tonumber(prefix))
  return wrk.format("POST", "%(action)s", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "%(origin)s",
    ["Referer"] = "%(origin)s/",
  }, body)
end
"""


def log(message):
    print(f"bench rolling: {message}", file=sys.stderr, flush=True)


def wait_for(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"bench rolling: {url} never answered") from None
            time.sleep(0.3)
    raise SystemExit(f"bench rolling: {url} did not answer within {timeout} s")


@contextlib.contextmanager
def private_redis():
    """A redis-server of the run's own, keeping nothing on disk."""
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def gunicorn(env, workers):
    port = free_port()
    server_env = {
        **env,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)],
        cwd=ROOT,
        env=server_env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status = wait_for(base + PAGE, process)
        if status != 200:
            raise SystemExit(f"bench rolling: {PAGE} answered {status}")
        yield base, process.pid
    finally:
        harness.stop(process, timeout=60)


def wrk(url, seconds, connections, script):
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def summary(process):
    output = process.communicate(timeout=120)[0]
    line = next((x for x in output.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"bench rolling: wrk printed no summary:\n{output}")
    data = json.loads(line[len("BENCH ") :])
    sockets = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return {
        "requests": data["requests"],
        "non_2xx_3xx": data["status"],
        "socket_errors": sockets,
        "p99_ms": round(data["p99"] / 1000, 1),
        "max_ms": round(data["max"] / 1000, 1),
    }


def wait_for_workers(master, count, gone=(), timeout=60):
    """Until the master has `count` workers, none of them in `gone`; returns their pids."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = set(formpost.worker_pids(master))
        if len(pids) == count and not pids & set(gone):
            return pids
        time.sleep(0.1)
    raise SystemExit(f"bench rolling: the master did not get back to {count} workers")


def restarts(master, workers, pause, hup=True):
    """SIGTERM to each worker in turn, waiting for its replacement, then (with hup) SIGHUP to
    the master; returns what was done, with the seconds each took."""
    events = []
    for pid in sorted(wait_for_workers(master, workers)):
        started = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        wait_for_workers(master, workers, gone=[pid])
        events.append(f"SIGTERM worker {pid}: replaced in {time.monotonic() - started:.1f} s")
        time.sleep(pause)
    if not hup:
        return events
    before = wait_for_workers(master, workers)
    started = time.monotonic()
    os.kill(master, signal.SIGHUP)
    wait_for_workers(master, workers, gone=before)
    events.append(f"SIGHUP master: all {workers} replaced in {time.monotonic() - started:.1f} s")
    return events


def run(env, duration=30, workers=3, hup=True, page_connections=8, post_connections=4):
    """The whole measurement; returns the report as a dict."""
    with (
        private_redis() as redis_url,
        gunicorn({**env, "REDIS_URL": redis_url}, workers) as (
            base,
            master,
        ),
    ):
        with urllib.request.urlopen(base + formpost.FORM_PAGE, timeout=30) as response:  # noqa: S310
            action, fields = formpost.find_form(response.read().decode("utf-8", "replace"))
        if action is None:
            raise SystemExit("bench rolling: no call-back form on the home page")
        # The reader's answers and the submission key come from the script, one per request.
        answers = ("full_name", "phone", "email", "callback_time", "privacy_ack", "submission_key")
        hidden = {name: value for name, value in fields.items() if name not in answers}
        # A reader takes longer than LEADS_MIN_FILL_SECONDS to fill the form in.
        time.sleep(float(env.get("LEADS_MIN_FILL_SECONDS") or 3) + 0.5)
        leads_before = formpost.count_leads(env)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                POST_LUA
                % {
                    "report": REPORT_LUA,
                    "hidden": urllib.parse.urlencode(hidden),
                    "action": action,
                    "origin": base,
                    # Distinct readers and submission keys in every run (wrk's own random
                    # numbers repeat from run to run).
                    "run": secrets.randbelow(900_000) + 100_000,
                }
            )
        log(f"{workers} workers on {base}; loading {PAGE} and the form POST for {duration} s")
        page_load = wrk(base + PAGE, duration, page_connections, str(REPORT_LUA))
        post_load = wrk(base + action, duration, post_connections, script.name)
        time.sleep(min(5, duration / 6))
        events = restarts(master, workers, pause=max(1.0, duration / (3 * workers + 3)), hup=hup)
        for event in events:
            log(event)
        page, post = summary(page_load), summary(post_load)
        os.unlink(script.name)
        leads_after = formpost.count_leads(env)
    return {
        "workers": workers,
        "seconds": duration,
        "restarts": events,
        "page": page,
        "post": post,
        "new_leads": None if leads_after is None else leads_after[0] - leads_before[0],
    }


def failed(report):
    return sum(
        report[load]["non_2xx_3xx"] + report[load]["socket_errors"] for load in ("page", "post")
    )
