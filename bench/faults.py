"""`python -m bench faults`: what readers and the call-back form get while Redis and
PostgreSQL fail, and whether every lead the site accepted ends up stored exactly once.

The run (issue 16): production settings under gunicorn (2 workers, as `make bench`), the
shared cache in a private redis-server and PostgreSQL reached through a TCP proxy (both from
tests/fault_services.py), so that each can really fail. For DURATION seconds POST_CLIENTS
clients post the call-back form back to back, each POST a distinct reader (its own email and
phone), and one reader per page (the home page, a case study) loads it. Meanwhile, on the
clock: Redis is killed at 15 s and started again, empty, at 30 s; the proxy to PostgreSQL is
cut at 35 s and restored at 50 s. The form is fetched from the home page once and posted after
LEADS_MIN_FILL_SECONDS (no setting is lowered for the run), so no POST looks too fast.

Afterwards the run waits up to SETTLE_SECONDS for leads kept outside the database to be
stored, runs `manage.py drain_lead_spool` when that command exists, and compares, reader by
reader (email), the POSTs the site accepted (303, or 200) with the leads in the database, read
over a direct connection that never goes through the proxy: stored, lost, duplicated, and how
long after PostgreSQL came back the last lead accepted during the cut was in the database.

Prints the phases as they happen, then a table per phase, and writes it into bench/RESULTS.md
under "## Faults run" (the rest of the file is kept). Everything it starts (gunicorn, Redis,
the proxy) is stopped before it returns.

Database: cms_bench_faults on the local PostgreSQL (BENCH_FAULTS_DATABASE_URL overrides),
created, migrated and given the demo content (`load_demo_content`) before the run.
"""

import argparse
import collections
import datetime
import itertools
import os
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import __main__ as harness

# bench.__main__ imports this module for its dispatch and this module uses its helpers: the
# module is bound here and its names are read when called, so either may be imported first.
from bench import formpost, sections
from tests.fault_services import RedisServer, TcpProxy

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cms_bench_faults"
DURATION = 60
POST_CLIENTS = 20
# Seconds into the run: (when, what happens).
REDIS_KILLED, REDIS_STARTED = 15, 30
DATABASE_CUT, DATABASE_RESTORED = 35, 50
# How long to wait after the load for leads kept outside the database to be stored.
SETTLE_SECONDS = 60
# The count counts as settled once every accepted lead is stored and nothing changed for this.
SETTLED_AFTER = 3
# A reader reads: one page every GET_PAUSE seconds per path, not a load test of its own.
GET_PAUSE = 0.1
PROGRESS_EVERY = 5
# How often the stored leads are read (the precision of the time the spool takes to drain).
POLL_SECONDS = 0.25
ACCEPTED = (200, 303)
# The Lead model's table (Django's default name for leads.Lead).
LEAD_TABLE = "leads_lead"
DRAIN_COMMAND = "drain_lead_spool"


@dataclass(frozen=True)
class Outcome:
    """One request: what was asked, when (seconds into the run) and what came back."""

    kind: str  # "POST" or the GET's path
    started: float
    ended: float
    status: int | str  # the HTTP status, or the name of the connection error
    email: str = ""

    @property
    def accepted(self):
        return self.status in ACCEPTED


class StoredLeads:
    """This run's leads as the database holds them: when each reader's email was first seen
    there and how many rows it has, polled over a direct connection (never the proxy)."""

    def __init__(self, url, pattern, clock):
        self.url = url
        self.pattern = pattern
        self.clock = clock
        self.first_seen = {}
        self.rows = {}
        self.changed_at = clock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def poll(self):
        try:
            rows = self._query(
                f"SELECT lower(email), count(*) FROM {LEAD_TABLE} "  # noqa: S608 - a constant
                "WHERE email LIKE %s GROUP BY 1"
            )
        except psycopg.Error as error:
            harness.log(f"reading the stored leads failed ({error}); trying again")
            return
        now = self.clock()
        counts = dict(rows)
        if counts != self.rows:
            self.changed_at = now
        for email in counts:
            self.first_seen.setdefault(email, now)
        self.rows = counts

    def flags(self):
        """How many of this run's leads are flagged as spam, how many have their
        notification task recorded and how many are held for review."""
        return self._query(
            "SELECT count(*) FILTER (WHERE is_spam), "
            "count(*) FILTER (WHERE notification_task_id <> ''), "
            "count(*) FILTER (WHERE needs_review) "
            f"FROM {LEAD_TABLE} WHERE email LIKE %s"  # noqa: S608 - a constant
        )[0]

    def _query(self, sql):
        # A connection per read: nothing to repair if one breaks, and a few ms each.
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
            return connection.execute(sql, [self.pattern]).fetchall()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=10)
        self.poll()

    def _loop(self):
        while not self.stop.wait(POLL_SECONDS):
            self.poll()


def counts(outcomes):
    """'303: 812, 500: 4, ConnectionRefusedError: 3', most frequent first."""
    tally = collections.Counter(str(outcome.status) for outcome in outcomes)
    return ", ".join(f"{status}: {n}" for status, n in tally.most_common()) or "-"


def latency(outcomes):
    took = sorted(outcome.ended - outcome.started for outcome in outcomes)
    if not took:
        return "-"
    return f"{formpost.percentile(took, 50) * 1000:.0f} / {took[-1] * 1000:.0f}"


def post_client(base, form, numbers, outcomes, clock, stop, source):
    """Posts the form back to back, a new reader each time, until the run ends; from the
    loopback address `source`, so each client is an address of its own (leads/limits.py)."""
    host, port = base
    headers = formpost.post_headers(host, port)
    while not stop.is_set() and clock() < DURATION:
        number = next(numbers)
        started = clock()
        try:
            status, _, _ = formpost.http_request(
                host,
                port,
                "POST",
                form.action,
                formpost.submission(number, form.fields),
                headers,
                source=source,
            )
        except OSError as error:
            status = type(error).__name__
        outcomes.append(
            Outcome("POST", started, clock(), status, formpost.reader_email(number).lower())
        )


def get_client(base, path, outcomes, clock, stop):
    """A reader loading one page again and again until the run ends."""
    host, port = base
    while not stop.is_set() and clock() < DURATION:
        started = clock()
        try:
            status, _, _ = formpost.http_request(host, port, "GET", path)
        except OSError as error:
            status = type(error).__name__
        outcomes.append(Outcome(path, started, clock(), status))
        stop.wait(GET_PAUSE)


def case_study_path(env):
    return formpost.in_django(
        env,
        "import json\nfrom django.apps import apps\n"
        "page = apps.get_model('breaches', 'BreachCaseStudyPage').objects.live()"
        ".order_by('path').first()\n"
        "print(json.dumps(page.url if page else None))",
    )


def has_command(env, name):
    result = subprocess.run(
        [harness.PYTHON, "manage.py", "help", name],
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode == 0


def proxied(url, port):
    """The same database URL, reached through the proxy on this port."""
    parts = urllib.parse.urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def prepare(env):
    harness.ensure_database(env["DATABASE_URL"])
    harness.log("migrating")
    harness.run([harness.PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    harness.log("loading the demo content")
    harness.run([harness.PYTHON, "manage.py", "load_demo_content"], env, capture=True)
    harness.log("collecting static files")
    harness.run([harness.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)


def load_with_faults(base, form, paths, redis, proxy, clock):
    """The 60 s of load with the faults on schedule; returns the outcomes and when each
    fault actually happened (seconds into the run)."""
    posts, gets = [], []
    stop = threading.Event()
    numbers = itertools.count()
    threads = [
        threading.Thread(
            target=post_client,
            args=(base, form, numbers, posts, clock, stop, formpost.client_address(n)),
            daemon=True,
        )
        for n in range(POST_CLIENTS)
    ] + [
        threading.Thread(target=get_client, args=(base, path, gets, clock, stop), daemon=True)
        for path in paths
    ]
    schedule = [
        (REDIS_KILLED, "Redis killed", redis.kill),
        (REDIS_STARTED, "Redis started again, empty", redis.start),
        (DATABASE_CUT, "PostgreSQL cut", proxy.cut),
        (DATABASE_RESTORED, "PostgreSQL restored", proxy.restore),
        (DURATION, "load stops", stop.set),
    ]
    happened = {}
    for thread in threads:
        thread.start()
    harness.log(
        f"{clock():5.1f} s  load starts: {POST_CLIENTS} POST clients, GET {', '.join(paths)}"
    )
    try:
        seen_posts = seen_gets = 0
        next_progress = PROGRESS_EVERY
        for at, label, action in schedule:
            while clock() < at:
                time.sleep(max(0.0, min(0.05, at - clock())))
                if clock() >= next_progress and next_progress < DURATION:
                    harness.log(
                        f"{clock():5.1f} s  last {PROGRESS_EVERY} s: "
                        f"POST {counts(posts[seen_posts:])}; GET {counts(gets[seen_gets:])}"
                    )
                    seen_posts, seen_gets = len(posts), len(gets)
                    next_progress += PROGRESS_EVERY
            action()
            happened[label] = clock()
            harness.log(f"{happened[label]:5.1f} s  {label}")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=formpost.HTTP_TIMEOUT + 5)
    harness.log(f"{clock():5.1f} s  every client has stopped")
    return posts, gets, happened


def settle(stored, accepted_emails, clock, deadline):
    """Polls until every accepted lead is stored and the count has stopped moving, or the
    deadline passes."""
    while clock() < deadline:
        if accepted_emails <= stored.first_seen.keys() and (
            clock() - stored.changed_at >= SETTLED_AFTER
        ):
            return True
        time.sleep(POLL_SECONDS)
    return False


def phases(happened):
    marks = [
        ("all up", 0.0),
        ("Redis down", happened.get("Redis killed", REDIS_KILLED)),
        ("Redis back, empty", happened.get("Redis started again, empty", REDIS_STARTED)),
        ("PostgreSQL cut", happened.get("PostgreSQL cut", DATABASE_CUT)),
        ("PostgreSQL back", happened.get("PostgreSQL restored", DATABASE_RESTORED)),
    ]
    ends = [at for _, at in marks[1:]] + [float(DURATION)]
    return [(name, start, end) for (name, start), end in zip(marks, ends, strict=True)]


def last_spooled(posts, happened, stored):
    """How long after PostgreSQL was restored the last lead accepted during the cut was in
    the database. Accepted during the cut: the answer came while the database was cut, so
    the lead can only have been stored before the cut or kept elsewhere until it was back
    (a POST answered after the restore may simply have reached the database then)."""
    cut, restored = happened["PostgreSQL cut"], happened["PostgreSQL restored"]
    during_cut = {o.email for o in posts if o.accepted and cut < o.ended < restored}
    never = during_cut - stored.first_seen.keys()
    waited = {e for e in during_cut - never if stored.first_seen[e] >= restored}
    if not during_cut:
        return "no POST was accepted while PostgreSQL was cut"
    if never:
        return (
            f"never: {len(never)} of the {len(during_cut)} accepted while it was cut are not "
            "in the database"
        )
    if not waited:
        return f"all {len(during_cut)} accepted while it was cut were stored before the cut"
    last = max(stored.first_seen[e] for e in waited) - restored
    return (
        f"{last:.1f} s after PostgreSQL was restored ({len(waited)} of the {len(during_cut)} "
        "accepted while it was cut waited for it; the database is read every "
        f"{POLL_SECONDS} s)"
    )


def report(figures):
    """The section for bench/RESULTS.md: the run, a table per phase, the lead figures."""
    posts, gets, happened = figures["posts"], figures["gets"], figures["happened"]
    stored = figures["stored"]
    stored_emails = set(stored.first_seen)
    lines = [
        "## Faults run",
        "",
        f"Written by `python -m bench faults` (bench/faults.py) on {figures['date']}: "
        f"{os.cpu_count()} CPUs, load average {figures['load']} at the start. Production "
        f"settings under gunicorn ({harness.GUNICORN_WORKERS} sync workers), the shared cache in a "
        "private redis-server, PostgreSQL through a TCP proxy that the run cuts "
        f"(tests/fault_services.py). {POST_CLIENTS} clients post the call-back form back to "
        "back for 60 s, each POST a distinct reader (the form fetched from the home page and "
        f"posted {figures['min_fill']:.0f} s later or more, so none is too fast); one reader per "
        f"page loads {', '.join(f'`{p}`' for p in figures['paths'])} every {GET_PAUSE} s. "
        f"Redis killed at {REDIS_KILLED} s and started again empty at {REDIS_STARTED} s; "
        f"PostgreSQL cut at {DATABASE_CUT} s and restored at {DATABASE_RESTORED} s. Leads are "
        "read over a direct database connection, matched by the readers' emails.",
        "",
        "| phase | seconds | POSTs | accepted | lost | POST responses | POST p50 / max ms "
        "| GETs | GET responses | GET p50 / max ms |",
        "|" + "---|" * 10,
    ]
    rows = [*phases(happened), ("whole run", 0.0, float(DURATION))]
    for name, start, end in rows:
        phase_posts = [o for o in posts if start <= o.started < end]
        phase_gets = [o for o in gets if start <= o.started < end]
        accepted = [o for o in phase_posts if o.accepted]
        lost = sum(1 for o in accepted if o.email not in stored_emails)
        lines.append(
            f"| {name} | {start:.0f}-{end:.0f} | {len(phase_posts)} | {len(accepted)} | {lost} "
            f"| {counts(phase_posts)} | {latency(phase_posts)} | {len(phase_gets)} "
            f"| {counts(phase_gets)} | {latency(phase_gets)} |"
        )
    accepted_emails = {o.email for o in posts if o.accepted}
    lost = accepted_emails - stored_emails
    unasked = stored_emails - accepted_emails
    duplicates = sum(1 for n in stored.rows.values() if n > 1)
    spam, notified, held = figures["flags"]
    drain_time = last_spooled(posts, happened, stored)
    lines += [
        "",
        f"- POSTs: {len(posts)} ({counts(posts)}); accepted (303 or 200): "
        f"{len(accepted_emails)}; not accepted (the reader saw an error or nothing): "
        f"{len(posts) - len(accepted_emails)}",
        f"- GETs: {len(gets)} ({counts(gets)})",
        f"- Leads stored for this run's readers: {len(stored_emails)} "
        f"({sum(stored.rows.values())} rows; flagged as spam: {spam}; with a notification "
        f"task: {notified}; held for review, as past {POST_CLIENTS} addresses' first 10 "
        f"leads: {held}); the same readers as the accepted POSTs: "
        f"{'yes' if stored_emails == accepted_emails else 'NO'}",
        f"- Duplicates (readers with more than one lead): {duplicates}",
        f"- Lost (accepted, not stored): {len(lost)}; stored though the POST was not "
        f"accepted: {len(unasked)}",
        f"- The last lead accepted during the cut was in the database: {drain_time}",
        f"- `manage.py {DRAIN_COMMAND}`: {figures['drain']}",
        f"- Errors the site logged: {figures['errors_logged']}",
        f"- The run took {figures['took']:.0f} s end to end (setup, 60 s of load, waiting "
        "for the leads, stopping)",
        "",
    ]
    return "\n".join(lines)


HEADING = "Faults run"


def drain_spool(env, stored, accepted_emails, clock):
    """Runs `manage.py drain_lead_spool` when the project has it; says what it did."""
    if not has_command(env, DRAIN_COMMAND):
        return "not present"
    before = len(stored.first_seen)
    result = subprocess.run(
        [harness.PYTHON, "manage.py", DRAIN_COMMAND],
        cwd=harness.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        harness.log(f"{DRAIN_COMMAND} failed:\n{result.stderr[-2000:]}")
    settle(stored, accepted_emails, clock, clock() + 10)
    return (
        f"ran after the wait (exit {result.returncode}); "
        f"{len(stored.first_seen) - before} more leads stored after it"
    )


def measure(env, direct_url, redis, proxy, server_log):
    """Serves the site through the proxy, loads it with the faults on schedule and waits for
    the leads; returns what the report needs."""
    server_env = {**env, "DATABASE_URL": proxied(direct_url, proxy.port)}
    paths = ["/"] + [path for path in [case_study_path(env)] if path]
    with harness.gunicorn(server_env, "cms.settings.production", "site", server_log) as (
        site_url,
        _,
    ):
        host, port = site_url.removeprefix("http://").split(":")
        base = (host, int(port))
        form = formpost.fetch_form(*base)
        if form is None:
            raise SystemExit(f"bench: no call-back form on {formpost.FORM_PAGE}")
        min_fill = formpost.min_fill_seconds(server_env)
        harness.log(f"form fetched; posting it from {min_fill + 0.5:.1f} s on, as a reader would")
        time.sleep(min_fill + 0.5)

        start = time.monotonic()

        def clock():
            return time.monotonic() - start

        stored = StoredLeads(direct_url, f"%.{formpost.RUN}@bench.example", clock).start()
        try:
            posts, gets, happened = load_with_faults(base, form, paths, redis, proxy, clock)
            accepted_emails = {o.email for o in posts if o.accepted}
            harness.log(
                f"waiting up to {SETTLE_SECONDS} s for {len(accepted_emails)} accepted leads"
            )
            settled = settle(stored, accepted_emails, clock, clock() + SETTLE_SECONDS)
            harness.log(f"{clock():5.1f} s  {'settled' if settled else 'still missing leads'}")
            drain = drain_spool(server_env, stored, accepted_emails, clock)
            harness.log(f"{clock():5.1f} s  {DRAIN_COMMAND}: {drain}")
        finally:
            stored.close()
        flags = stored.flags()
    return {
        "posts": posts,
        "gets": gets,
        "happened": happened,
        "stored": stored,
        "drain": drain,
        "paths": paths,
        "min_fill": min_fill,
        "flags": flags,
    }


def main(argv=()):
    parser = argparse.ArgumentParser(
        prog="python -m bench faults",
        description="Form POSTs and page reads while Redis and PostgreSQL fail; writes the "
        "'Faults run' section of bench/RESULTS.md.",
    )
    parser.parse_args(argv)
    began = time.monotonic()
    load_start = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    direct_url = os.environ.get("BENCH_FAULTS_DATABASE_URL", DEFAULT_DATABASE_URL)
    parts = urllib.parse.urlsplit(direct_url)
    harness.log(f"database: {parts.path.lstrip('/')} (set BENCH_FAULTS_DATABASE_URL to change)")
    redis = RedisServer()
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    # The site's log (a traceback per failed request) would bury the phases printed here.
    server_log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for reading afterwards
        "w", prefix="bench-faults-site-", suffix=".log", delete=False
    )
    try:
        redis.start()
        proxy.restore()
        env = {**harness.bench_env(), "DATABASE_URL": direct_url, "REDIS_URL": redis.url}
        prepare(env)
        figures = measure(env, direct_url, redis, proxy, server_log)
    finally:
        proxy.cut()
        redis.stop()
        server_log.close()
    log_text = Path(server_log.name).read_text(errors="replace")
    figures.update(
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load=load_start,
        errors_logged=log_text.count(" ERROR "),
        took=time.monotonic() - began,
    )
    section = report(figures)
    sections.write_section(HEADING, section)
    print(section)
    harness.log(f"the site's log: {server_log.name}")
    harness.log(f"wrote the faults run into bench/RESULTS.md in {figures['took']:.0f} s")
