"""`make bench`: how fast the site is, as a ratio to a trivial Django view, in one run.

1. Creates and migrates the bench database (PostgreSQL; DATABASE_URL overrides
   postgres://postgres@127.0.0.1:5432/cms_bench) and builds the corpus (bench/corpus.py).
2. Collects static files and counts each page's queries in-process (bench/pages.py).
3. Serves the site with production settings under gunicorn (2 workers, loopback, a free port)
   and, beside it, the trivial view in bench/ceiling.py under identical gunicorn settings.
4. Loads each with `wrk` for a bounded time, uncached and cold (from servers configured not to
   serve from the page cache: bench/uncached_settings.py, bench/cold_settings.py) and from the
   page cache, alternating with the ceiling in short slices; a case study with a new unknown
   query parameter per request (bench/busting.py); then the form POST and export
   steps (bench/formpost.py) when their features exist.
5. Prints a table and writes bench/RESULTS.md.

Options: --duration SECONDS (per load, default 10), --connections, --threads, --skip-corpus.
The machine is shared, so absolute figures are noisy; the ratios are what to compare.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench import (
    audit,
    busting,
    counting,
    edge,
    faults,
    formpost,
    purge_storm,
    render,
    rolling,
    sections,
)
from bench.search import QUERIES as SEARCH_QUERIES
from bench.search import summarise

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cms_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
CACHE_PREFIX = "bench"
GUNICORN_WORKERS = 2


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def bench_env():
    """The environment every bench process runs in: production settings, throwaway secret."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="bench-throwaway-" + secrets.token_hex(24),
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        CACHE_KEY_PREFIX=CACHE_PREFIX,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def run(args, env, capture=False, timeout=1800):
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=capture, text=True, timeout=timeout
    )
    if result.returncode:
        if capture:
            sys.stderr.write(result.stderr)
        raise SystemExit(f"bench: failed: {' '.join(map(str, args))}")
    return result.stdout if capture else None


# --------------------------------------------------------------------------------------------
# Prerequisites


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing; installing the Debian package")
        quiet = {"stdout": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            **quiet,
        )
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed: `sudo apt-get install wrk` (Debian/Ubuntu).")


def ensure_database(url):
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(
            "bench: the benchmark runs on PostgreSQL; DATABASE_URL must be postgres://"
        )
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            log(f"creating database {name}")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def demo_site_env(variable, database):
    """The bench environment on a database of its own (`variable` overrides its URL) holding
    the demo site, migrated, static files collected and the page cache empty; returns the
    environment and bench/pages.py's pages. For runs that measure a few rows quickly."""
    env = bench_env()
    env["DATABASE_URL"] = os.environ.get(
        variable, DEFAULT_DATABASE_URL.replace("cms_bench", database)
    )
    ensure_wrk()
    ensure_database(env["DATABASE_URL"])
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PYTHON, "manage.py", "load_demo_content"], env, capture=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    flush_page_cache(env["REDIS_URL"])
    return env, json.loads(run([PYTHON, "-m", "bench.pages"], env, capture=True))


def load_arguments(parser):
    """The load options every run shares."""
    parser.add_argument("--duration", type=int, default=10, help="seconds per load (default 10)")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--slices", type=int, default=5, help="alternate page and ceiling in this many slices"
    )
    return parser


def flush_page_cache(redis_url):
    import redis

    connection = redis.Redis.from_url(redis_url)
    deleted = 0
    for key in connection.scan_iter(f"{CACHE_PREFIX}:*", count=1000):
        deleted += connection.delete(key)
    return deleted


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Servers and load


@contextlib.contextmanager
def gunicorn(env, settings_module, label, stderr=None):
    """One gunicorn, the same flags for the site and the ceiling; yields its base URL.
    Production's configuration (deploy/gunicorn.conf.py) with the bench's own address, workers
    and timeout, and no restart after a number of requests (at the ceiling's rate a worker would
    be replaced every second). Its log (stderr) goes to ours unless `stderr` is a file."""
    port = free_port()
    server_env = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "django.core.wsgi:get_wsgi_application()",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--max-requests",
            "0",
            "--workers",
            str(GUNICORN_WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=server_env,
        stderr=stderr,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).read()  # noqa: S310 - loopback
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench: gunicorn for the {label} did not start") from None
                time.sleep(0.3)
        log(f"{label} on {base} (pid {process.pid})")
        yield base, process.pid
    finally:
        stop(process, timeout=30)


def stop(process, timeout):
    """SIGTERM, so gunicorn finishes what it holds; SIGKILL if it has not within `timeout`."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def load(url, args, headers=(), seconds=None, script=None):
    """One bounded wrk run; returns requests/s, latency percentiles (ms) and error counts."""
    seconds = seconds or args.duration
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        script or str(BENCH / "wrk_report.lua"),
    ]
    # A reader's browser unless the row says otherwise: wrk sends no User-Agent, and a
    # request without one is left out of the page-view counts (bench/counting.py).
    if not any(header.lower().startswith("user-agent:") for header in headers):
        headers = [*headers, counting.USER_AGENT_HEADER]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    line = next((x for x in output.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"bench: wrk printed no summary for {url}:\n{output}")
    data = json.loads(line[len("BENCH ") :])
    took = data["duration_us"] / 1e6
    errors = data["connect"] + data["read"] + data["write"] + data["timeout"] + data["status"]
    return {
        "rps": data["requests"] / took if took else 0.0,
        "requests": data["requests"],
        "seconds": took,
        "p50": data["p50"] / 1000,
        "p95": data["p95"] / 1000,
        "p99": data["p99"] / 1000,
        "errors": errors,
        "non_2xx": data["status"],
    }


def load_against_ceiling(url, ceiling_url, args, headers=(), script=None):
    """The page and the ceiling in alternating slices, so both see the same machine load.

    The machine is shared: a 10 s run of each, one after the other, can differ by half just
    from what else ran meanwhile. Alternating short slices (ceiling, page, ceiling, page...)
    spreads that over both. Requests/s: all requests over all slices' time. Latency: the
    median slice's p50 and the worst slice's p95/p99 (slices cannot be merged exactly).
    """
    slice_seconds = max(1, args.duration // args.slices)
    pages, ceilings = [], []
    for _ in range(args.slices):
        ceilings.append(load(ceiling_url, args, seconds=slice_seconds))
        pages.append(load(url, args, headers, seconds=slice_seconds, script=script))

    def rate(results):
        took = sum(result["seconds"] for result in results)
        return sum(result["requests"] for result in results) / took if took else 0.0

    p50s = sorted(result["p50"] for result in pages)
    return {
        "rps": rate(pages),
        "ceiling": rate(ceilings),
        "p50": p50s[len(p50s) // 2],
        "p95": max(result["p95"] for result in pages),
        "p99": max(result["p99"] for result in pages),
        "errors": sum(result["errors"] for result in pages),
        "non_2xx": sum(result["non_2xx"] for result in pages),
    }


def search_latency(site_url, rounds):
    """One reader at a time searching the corpus through the served site: every query of
    bench/search.py (names, misspellings, common words, no match) `rounds` times after a
    warming round, each a whole page from request to last byte. The wrk row for search shows
    the same page under 20 concurrent readers, where latency is mostly waiting for a worker."""
    samples, statuses = [], set()
    for round_number in range(rounds + 1):
        for query in SEARCH_QUERIES:
            url = site_url + "/search/?" + urllib.parse.urlencode({"q": query})
            started = time.perf_counter()
            status, _, _ = fetch(url)
            took = time.perf_counter() - started
            statuses.add(status)
            if round_number:
                samples.append(took)
    if statuses != {200}:
        raise SystemExit(f"bench: the search page answered {sorted(statuses)}")
    return {"queries": len(SEARCH_QUERIES), "rounds": rounds, **summarise(samples)}


# --------------------------------------------------------------------------------------------
# Report


def machine_and_versions(env):
    import django
    import gunicorn as gunicorn_package
    import wagtail

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    postgres = "unknown"
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as connection:
            postgres = connection.execute("SHOW server_version").fetchone()[0]
    redis_version = "unknown"
    with contextlib.suppress(Exception):
        import redis

        redis_version = redis.Redis.from_url(env["REDIS_URL"]).info()["redis_version"]
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "postgresql": postgres,
        "redis": redis_version,
        "gunicorn": gunicorn_package.__version__,
        "wrk": wrk_version.split(" [")[0].strip() or "unknown",
    }


def _load_average():
    with contextlib.suppress(OSError):
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return "unknown"


def table(rows):
    header = (
        "| page | variant | X-Cache | req/s | ceiling req/s | % of ceiling | p50 ms | p95 ms "
        "| p99 ms | errors | queries |"
    )
    lines = [header, "|" + "---|" * 11]
    for row in rows:
        ratio = 100 * row["rps"] / row["ceiling"] if row["ceiling"] else 0
        lines.append(
            f"| {row['name']} | {row['variant']} | {row.get('state', '')} | {row['rps']:.0f} "
            f"| {row['ceiling']:.0f} | {ratio:.1f}% | {row['p50']:.1f} | {row['p95']:.1f} "
            f"| {row['p99']:.1f} | {row['errors']} | {row.get('queries', '')} |"
        )
    return "\n".join(lines)


def write_results(info, args, corpus, rows, ceilings, extra):
    ceiling_rps = sum(ceilings) / len(ceilings)
    ceiling_range = f"{min(ceilings):.0f} to {max(ceilings):.0f}"
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); commit the latest. Each page's requests/s",
        "is a ratio to a trivial Django view (bench/ceiling.py) served by the same gunicorn",
        "settings in the same run, so a busy machine moves both; absolute figures are noisy.",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} memory, {info['os']}",
        f"- Versions: Python {info['python']}, Django {info['django']}, Wagtail {info['wagtail']}, "
        f"PostgreSQL {info['postgresql']}, Redis {info['redis']}, gunicorn {info['gunicorn']}, "
        f"{info['wrk']}",
        f"- Load: wrk, {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s of page load per row; gunicorn {GUNICORN_WORKERS} sync workers "
        "on loopback, production settings, page cache in Redis",
        f"- Ceiling (trivial view): {ceiling_range} req/s across rows (mean {ceiling_rps:.0f}). "
        f"Each row alternates {args.slices} slices of the ceiling and of the page "
        f"({max(1, args.duration // args.slices)} s each) and is compared with the ceiling "
        "measured in its own slices; p50 is the median slice's, p95/p99 the worst slice's",
        f"- Load average (1, 5, 15 min) at the start: {extra.pop('_load_start', '?')}; at the "
        f"end: {_load_average()} (the machine is shared: other work runs meanwhile)",
        (
            f"- Corpus: {corpus['live_pages']} live pages; "
            + "; ".join(f"{label}: {summary}" for label, summary, _ in corpus["steps"])
            if corpus
            else "- Corpus: as an earlier run left it (--skip-corpus)"
        ),
        "",
        "Variants: *uncached* is served by a second server whose settings skip the page cache",
        "for every path (bench/uncached_settings.py), so every request renders the page, with",
        "the shared fragments and the per-process site snapshot a running server has (the",
        "first reader after a publish, a new query string); *cold* by a third with the page",
        "cache off (bench/cold_settings.py), rendering without fragments (the site snapshot",
        "stays), as for the first reader of each page after a site-wide purge; *cached* is an",
        "anonymous reader served from the page cache",
        "by the production settings. Queries: per request,",
        "counted in-process with CaptureQueriesContext (steady state, second request).",
        "",
        table(rows),
        "",
        "## Search, CSV export and form POST",
        "",
    ]
    for label, result in extra.items():
        lines.append(f"- {label}: " + ", ".join(f"{k}: {v}" for k, v in result.items()))
    lines += [
        "",
        "## Targets (issue 8)",
        "",
        "- Case study page uncached: >= 10% of the ceiling (aim 15%), constant small query count.",
        "- Any public page from the page cache: >= 70% of the ceiling.",
        "- Form POST: 5,000 submissions / 50 concurrent -> exactly 5,000 leads, 0 errors, "
        "p99 < 500 ms, one notification task per lead.",
        "- Form POST, one address (issue 21, production limits): every reader told success "
        "or refused 429 with Retry-After, stored + refused = submitted, 0 errors; the first "
        "10 announced, the rest held for review.",
        "- CSV export of 100,000 leads: >= 50,000 rows/s, worker growth < 50 MB, ratio to "
        "PostgreSQL COPY.",
        "- Search: p95 < 100 ms.",
        "- Page-view counting (issue 19): a cached case study keeps >= 90% of its requests/s "
        "with counting on; N concurrent requests add exactly N views after the fold.",
        "",
    ]
    # The faults run (`python -m bench faults`) keeps its own section of the file, as does
    # `python -m bench purge-storm`.
    path = BENCH / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    kept = [(run.HEADING, sections.section_of(run.HEADING, text)) for run in (faults, purge_storm)]
    path.write_text("\n".join(lines))
    for heading, section in kept:
        if section:
            sections.write_section(heading, section, path)


# --------------------------------------------------------------------------------------------


def main():
    if sys.argv[1:2] == ["faults"]:
        return faults.main(sys.argv[2:])
    if sys.argv[1:2] == ["edge"]:
        return edge.main(sys.argv[2:], sys.modules[__name__])
    if sys.argv[1:2] == ["counting"]:
        return counting.main(sys.argv[2:], sys.modules[__name__])
    if sys.argv[1:2] == ["render"]:
        return render.main(sys.argv[2:])
    if sys.argv[1:2] == ["purge-storm"]:
        return purge_storm.main(sys.argv[2:])
    if sys.argv[1:2] == ["audit"]:
        raise SystemExit(audit.main(sys.argv[2:]))
    parser = load_arguments(
        argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    )
    parser.add_argument("--skip-corpus", action="store_true", help="reuse the corpus as it is")
    parser.add_argument(
        "--search-rounds", type=int, default=5, help="rounds of the search queries (default 5)"
    )
    args = parser.parse_args()
    started = time.monotonic()

    env = bench_env()
    ensure_wrk()
    ensure_database(env["DATABASE_URL"])
    name = urllib.parse.urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    log(f"database: {name} (set BENCH_DATABASE_URL or DATABASE_URL to change)")
    log("migrating")
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    corpus = {}
    if not args.skip_corpus:
        log("building the corpus")
        corpus = json.loads(run([PYTHON, "-m", "bench.corpus"], env, capture=True))
    log("collecting static files")
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    log(f"flushed {flush_page_cache(env['REDIS_URL'])} page-cache keys")
    log("counting queries per page")
    pages = json.loads(run([PYTHON, "-m", "bench.pages"], env, capture=True))
    for page in pages:
        if page["status"] != 200:
            raise SystemExit(f"bench: {page['path']} answered {page['status']}, not 200")

    jobs = []
    cold_done = set()
    for page in pages:
        jobs.append((page, "uncached"))
        if page["name"] in render.COLD_ROWS and page["name"] not in cold_done:
            # Issue 17's render-cost pages once more, with nothing cached (bench/render.py).
            jobs.append((page, "cold"))
            cold_done.add(page["name"])
        if page["cacheable"]:
            jobs.append((page, "cached"))

    rows, ceilings, extra = [], [], {"_load_start": _load_average()}
    with (
        gunicorn(env, "bench.ceiling", "ceiling") as (ceiling_url, _),
        gunicorn(env, "cms.settings.production", "site") as (site_url, site_pid),
        # The same site configured not to serve from the page cache (bench/*_settings.py).
        gunicorn(env, "bench.uncached_settings", "uncached site") as (uncached_url, _),
        gunicorn(env, "bench.cold_settings", "cold site") as (cold_url, _),
        # The production site with page-view counting switched off (bench/counting.py).
        gunicorn(counting.off_env(env), "cms.settings.production", "site, counting off") as (
            counting_off_url,
            _,
        ),
    ):
        servers = {"uncached": uncached_url, "cold": cold_url, "cached": site_url}
        for page, variant in jobs:
            url = servers[variant] + page["path"]
            if variant in ("uncached", "cold"):
                _, headers, _ = fetch(url)
                queries = page["queries"] if variant == "uncached" else page["cold_queries"]
            else:
                fetch(url)  # fill the page cache
                _, headers, _ = fetch(url)
                queries = page.get("cached_queries", "")
            log(f"loading {page['name']} {variant} ({headers.get('X-Cache')}) and the ceiling")
            result = load_against_ceiling(url, ceiling_url + "/", args)
            ceilings.append(result["ceiling"])
            rows.append(
                {
                    **result,
                    "name": page["name"],
                    "variant": variant,
                    "state": headers.get("X-Cache", ""),
                    "queries": queries,
                }
            )
        log("loading a case study with a new unknown parameter per request and the ceiling")
        busting_row = busting.row(pages, site_url, ceiling_url, args, fetch, load_against_ceiling)
        if busting_row:
            ceilings.append(busting_row["ceiling"])
            rows.append(busting_row)
        # Varnish (deploy/varnish/site.vcl) in front of the production server (bench/edge.py).
        measure = lambda url: load_against_ceiling(url, ceiling_url + "/", args)  # noqa: E731
        rows.append(edge.case_study_row(pages, site_url, measure, fetch))
        ceilings.append(rows[-1]["ceiling"])
        extra.update(
            counting.measure(pages, site_url, counting_off_url, args, env, sys.modules[__name__])
        )
        log("search latency, one reader at a time")
        extra["Search, one reader at a time"] = search_latency(site_url, args.search_rounds)
        host, port = site_url.removeprefix("http://").split(":")
        # The export first: it is of the corpus's 100,000 leads, before the POSTs add more.
        log("CSV export step")
        extra["CSV export"] = formpost.csv_export_load(host, int(port), env, site_pid)
        log("form POST step")
        extra["form POST"] = formpost.form_post_load(host, int(port), env)
        log("form POST step, one address")
        extra["form POST, one address"] = formpost.one_address_load(host, int(port), env)

    info = machine_and_versions(env)
    write_results(info, args, corpus, rows, ceilings, extra)
    print(table(rows))
    for label, result in extra.items():
        print(f"{label}: {result}")
    log(f"wrote bench/RESULTS.md in {time.monotonic() - started:.0f} s")


def rolling_main(argv):
    """`python -m bench rolling`: restarts under load (bench/rolling.py), on a database of
    its own (BENCH_ROLLING_DATABASE_URL) holding the demo site."""
    parser = argparse.ArgumentParser(prog="python -m bench rolling", description=rolling.__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--skip-hup", action="store_true", help="restart workers by SIGTERM only")
    args = parser.parse_args(argv)
    env = bench_env()
    env["DATABASE_URL"] = os.environ.get(
        "BENCH_ROLLING_DATABASE_URL", DEFAULT_DATABASE_URL.replace("cms_bench", "cms_rolling")
    )
    # The servers get a private Redis (bench/rolling.py); the set-up needs none.
    env["REDIS_URL"] = ""
    # wrk sends every POST from one address, far past a flood limit; this run measures
    # restarts, so its POSTs must not be refused (make bench's form POST rows measure the
    # limits as production sets them).
    env["LEADS_FLOOD_LIMIT"] = env["LEADS_FLOOD_LIMIT_SITE"] = "0"
    ensure_wrk()
    ensure_database(env["DATABASE_URL"])
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PYTHON, "manage.py", "load_demo_content"], env, capture=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    report = rolling.run(env, duration=args.duration, workers=args.workers, hup=not args.skip_hup)
    print(json.dumps(report, indent=2))
    failures = rolling.failed(report)
    log(f"rolling restart: {failures} failed requests")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["rolling"]:
        rolling_main(sys.argv[2:])
    else:
        main()
