"""Page-view counting (leads/conversion/): what it costs a cached case study, and whether it
is exact across two app processes.

Cost: the production server (counting on, the default) against a second production server
started with LEADS_COUNT_VIEWS=false (the operator's off switch), both loaded with a browser's
User-Agent (wrk sends none, and a request without one is never counted), in alternating slices
as the ceiling rows are. Target: counting on keeps >= 90% of the requests/s without it.

Exactness: N requests from 20 threads against the two gunicorn workers, each handing its
tally to Redis every LEADS_COUNT_FLUSH_SECONDS; after `manage.py fold_page_views` the day's
views of the page have risen by exactly N.

`make bench` adds both to its "Search, CSV export and form POST" list; `python -m bench
counting` measures only these, on a database of its own holding the demo site
(BENCH_COUNTING_DATABASE_URL, default cms_bench_counting).
"""

import argparse
import concurrent.futures
import csv
import io
import time
import urllib.request

from leads.conf import DEFAULTS

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
USER_AGENT_HEADER = f"User-Agent: {BROWSER}"
PAGE_NAME = "case study"
TARGET = 90.0
EXACT_REQUESTS = 2000
EXACT_THREADS = 20


def log(message):
    print(f"bench counting: {message}", flush=True)


def off_env(env):
    return {**env, "LEADS_COUNT_VIEWS": "false"}


def cost(on_url, off_url, args, load):
    """Counting on against counting off, in alternating slices (bench/__main__.py's load)."""
    slice_seconds = max(1, args.duration // args.slices)
    on, off = [], []
    for _ in range(args.slices):
        off.append(load(off_url, args, headers=[USER_AGENT_HEADER], seconds=slice_seconds))
        on.append(load(on_url, args, headers=[USER_AGENT_HEADER], seconds=slice_seconds))

    def rate(results):
        took = sum(result["seconds"] for result in results)
        return sum(result["requests"] for result in results) / took if took else 0.0

    ratio = 100 * rate(on) / rate(off) if rate(off) else 0.0
    return {
        "counting on req/s": f"{rate(on):.0f}",
        "counting off req/s": f"{rate(off):.0f}",
        "on/off": f"{ratio:.1f}%",
        "target": f">= {TARGET:.0f}%",
        "met": "yes" if ratio >= TARGET else "NO",
        "errors": sum(result["errors"] + result["non_2xx"] for result in on + off),
    }


def _views_today(path, env, run, python):
    run([python, "manage.py", "fold_page_views"], env, capture=True)
    text = run(
        [python, "manage.py", "conversion_report", "--days", "1", "--format", "csv"],
        env,
        capture=True,
    )
    for row in csv.DictReader(io.StringIO(text)):
        if row["path"] == path:
            return int(row["views"])
    return 0


def _reader(url):
    request = urllib.request.Request(url, headers={"User-Agent": BROWSER})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        response.read()
        return response.status


def exactness(site_url, path, env, run, python):
    """N concurrent readers; the day's views of `path` after the fold, before and after."""
    wait = int(env.get("LEADS_COUNT_FLUSH_SECONDS", DEFAULTS["LEADS_COUNT_FLUSH_SECONDS"])) + 2
    time.sleep(wait)  # every process has handed over what earlier loads counted
    before = _views_today(path, env, run, python)
    with concurrent.futures.ThreadPoolExecutor(EXACT_THREADS) as pool:
        statuses = list(pool.map(_reader, [site_url + path] * EXACT_REQUESTS))
    time.sleep(wait)
    after = _views_today(path, env, run, python)
    return {
        "requests": EXACT_REQUESTS,
        "threads": EXACT_THREADS,
        "answered 200": statuses.count(200),
        "views added after the fold": after - before,
        "exact": "yes" if after - before == EXACT_REQUESTS else "NO",
    }


def measure(pages, site_url, off_url, args, env, bench):
    """Both figures for `make bench`: {label: result}."""
    page = next(page for page in pages if page["name"] == PAGE_NAME)
    for url in (site_url, off_url):
        bench.fetch(url + page["path"])
    log(f"loading {PAGE_NAME} cached, counting on and off")
    results = {
        "Page-view counting, cached case study": cost(
            site_url + page["path"], off_url + page["path"], args, bench.load
        )
    }
    log(f"{EXACT_REQUESTS} concurrent readers, then the fold")
    results["Page-view counts, two processes"] = exactness(
        site_url, page["path"], env, bench.run, bench.PYTHON
    )
    return results


def main(argv, bench):
    """`python -m bench counting`; `bench` is bench/__main__.py (servers, load, fetch)."""
    parser = bench.load_arguments(
        argparse.ArgumentParser(prog="python -m bench counting", description=__doc__)
    )
    args = parser.parse_args(argv)
    env, pages = bench.demo_site_env("BENCH_COUNTING_DATABASE_URL", "cms_bench_counting")
    with (
        bench.gunicorn(env, "cms.settings.production", "site") as (site_url, _),
        bench.gunicorn(off_env(env), "cms.settings.production", "site, counting off") as (
            off_url,
            _,
        ),
    ):
        results = measure(pages, site_url, off_url, args, env, bench)
    for label, result in results.items():
        print(f"{label}: " + ", ".join(f"{k}: {v}" for k, v in result.items()))
    failed = any(
        result.get("met") == "NO" or result.get("exact") == "NO" for result in results.values()
    )
    raise SystemExit(1 if failed else 0)
