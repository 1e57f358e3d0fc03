"""`python -m bench purge-storm`: do readers notice purges of every page?

The site runs with production settings under gunicorn (the harness's 2 sync workers) with a
private redis-server, over the bench corpus's case studies (bench/corpus.py, about 1,000).
After every case study has been read once (so each has a copy in the page cache), `wrk` reads
random case studies at about RATE requests/s for DURATION seconds while another process calls
`purge_all()` every PURGE_EVERY seconds, as saving a snippet or the site settings does.
Reported: latency percentiles across the whole run (so across every purge), errors, and what
the page cache answered (HIT, STALE: the previous copy while the page is rendered again,
MISS: rendered). Targets (issue 17): p99 < 100 ms, 0 errors.

Database: cms_bench_storm (BENCH_STORM_DATABASE_URL overrides), holding the demo site and the
corpus's case studies; the load sits in its own section of bench/RESULTS.md.
"""

import argparse
import contextlib
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench import __main__ as harness

# bench.__main__ imports this module for its dispatch and this module uses its helpers: the
# module is bound here and its names are read when called, so either may be imported first.
from bench import sections
from tests.fault_services import RedisServer

DEFAULT_DATABASE = "cms_bench_storm"
CASE_STUDY = re.compile(r"<loc>https?://[^/<]+(/case-studies/[^<]+/)</loc>")
TARGET_P99_MS = 100

LUA = """
dofile("%(report)s")
local report_done = done
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
  states = {}
  versions = {}
  math.randomseed(os.time() * 100 + id)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function delay()
  return %(delay_ms)d
end

function response(status, headers, body)
  local state = headers["X-Cache"] or "none"
  local reason = headers["X-Cache-Reason"]
  if reason then state = state .. " " .. reason end
  states[state] = (states[state] or 0) + 1
  -- Each stored render of a page has its own ETag (a hash of the page, which carries the
  -- second it was rendered in): the versions of each page readers were given.
  local etag = headers["ETag"]
  local page = string.match(body or "", '<link rel="canonical" href="([^"]+)"')
  if etag and page then versions[page .. " " .. etag] = true end
end

function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for state, n in pairs(thread:get("states")) do
      totals[state] = (totals[state] or 0) + n
    end
  end
  local parts = {}
  for state, n in pairs(totals) do parts[#parts + 1] = string.format('"%%s": %%d', state, n) end
  io.write("STATES {" .. table.concat(parts, ", ") .. "}\\n")
  -- (wrk copies only flat tables between threads: one "page etag" key per version.)
  local seen, pages = {}, {}
  for _, thread in ipairs(threads) do
    for version in pairs(thread:get("versions")) do
      if not seen[version] then
        seen[version] = true
        local page = string.match(version, "^(%%S+)")
        pages[page] = (pages[page] or 0) + 1
      end
    end
  end
  -- {renders: pages with that many}; the first version of each was stored while warming.
  local spread = {}
  for _, n in pairs(pages) do spread[n - 1] = (spread[n - 1] or 0) + 1 end
  parts = {}
  for n, count in pairs(spread) do parts[#parts + 1] = string.format('"%%d": %%d', n, count) end
  io.write("RENDERS {" .. table.concat(parts, ", ") .. "}\\n")
end
"""

CORPUS = """
import os, sys
from bench import corpus
out = open(os.devnull, "w")
corpus.demo_content(out)
print(corpus.case_studies(out), file=sys.stderr)
"""

PURGER = """
import sys, time
from home.page_cache import purge_all
started = time.monotonic()
n = 0
while time.monotonic() - started < %(duration)f:
    time.sleep(%(every)f)
    purge_all()
    n += 1
    print(f"{time.monotonic() - started:.1f}", flush=True)
print(f"PURGES {n}", flush=True)
"""


def log(message):
    print(f"bench purge-storm: {message}", file=sys.stderr, flush=True)


def prepare(env, skip_corpus):
    harness.ensure_database(env["DATABASE_URL"])
    log("migrating")
    harness.run([harness.PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    if not skip_corpus:
        log("building the demo site and the case studies (idempotent)")
        harness.run([harness.PYTHON, "manage.py", "shell", "-c", CORPUS], env)
    log("collecting static files")
    harness.run([harness.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)


def case_study_paths(base):
    with urllib.request.urlopen(base + "/sitemap.xml", timeout=60) as response:  # noqa: S310
        return sorted(set(CASE_STUDY.findall(response.read().decode())))


def warm(base, paths, workers=4):
    """Reads every case study once, so each has a copy in the page cache."""
    queue = list(paths)
    lock = threading.Lock()
    failures = []

    def reader():
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop()
            status, _headers, _body = harness.fetch(base + path)
            if status != 200:
                failures.append((path, status))

    threads = [threading.Thread(target=reader) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"bench purge-storm: warming failed: {failures[:5]}")


def storm(base, paths, env, args, workdir):
    """One wrk run at about args.rate requests/s while purge_all() runs every few seconds."""
    paths_file = Path(workdir) / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    # Each connection waits this long between its requests: connections x 1000 / delay is
    # the offered rate (a little less, since a response takes time too).
    delay_ms = max(0, int(args.connections * 1000 / args.rate) - 3)
    script = Path(workdir) / "storm.lua"
    script.write_text(
        LUA
        % {
            "report": harness.BENCH / "wrk_report.lua",
            "paths": paths_file,
            "delay_ms": delay_ms,
        }
    )
    purger = subprocess.Popen(
        [
            harness.PYTHON,
            "manage.py",
            "shell",
            "-c",
            PURGER % {"duration": args.duration - 1, "every": args.purge_every},
        ],
        cwd=harness.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    # manage.py shell takes a moment to start; the load begins with it.
    time.sleep(2)
    output = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base + paths[0],
        ],
        capture_output=True,
        text=True,
        timeout=args.duration + 60,
    ).stdout
    purges_out, _ = purger.communicate(timeout=args.duration + 60)
    summary = _line(output, "BENCH ")
    states = _line(output, "STATES ")
    # {renders: pages rendered that many times after warming}: the versions of each page
    # (its canonical link) readers were given, told apart by their ETags.
    spread = {int(n): pages for n, pages in _line(output, "RENDERS ").items()}
    purges = int(_line(purges_out, "PURGES ", raw=True) or 0)
    took = summary["duration_us"] / 1e6
    return {
        "requests": summary["requests"],
        "rps": summary["requests"] / took if took else 0.0,
        "p50": summary["p50"] / 1000,
        "p95": summary["p95"] / 1000,
        "p99": summary["p99"] / 1000,
        "max": summary["max"] / 1000,
        "errors": sum(summary[k] for k in ("connect", "read", "write", "timeout")),
        "non_2xx": summary["status"],
        "states": states,
        "purges": purges,
        "renders": sum(n * pages for n, pages in spread.items()),
        "pages_rendered": sum(pages for n, pages in spread.items() if n),
        "most_renders": max(spread, default=0),
    }


def _line(output, prefix, raw=False):
    line = next((x for x in output.splitlines() if x.startswith(prefix)), None)
    if line is None:
        if raw:
            return None
        raise SystemExit(f"bench purge-storm: no {prefix.strip()} line in:\n{output}")
    value = line[len(prefix) :]
    return value if raw else json.loads(value)


def report(result, args, pages):
    states = ", ".join(f"{k} {v}" for k, v in sorted(result["states"].items()))
    met = result["p99"] < TARGET_P99_MS and not result["errors"] and not result["non_2xx"]
    return "\n".join(
        [
            "## Purge storm",
            "",
            f"Written by `python -m bench purge-storm` "
            f"({datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC). Production settings "
            f"under gunicorn ({harness.GUNICORN_WORKERS} sync workers), a private redis-server; "
            f"wrk reads {pages} case studies at random, offered about {args.rate} req/s "
            f"({args.connections} connections), for {args.duration} s while `purge_all()` runs "
            f"every {args.purge_every} s (home/page_cache/revalidate.py); `X-Cache-Reason` on "
            f"(bench/storm_settings.py).",
            "",
            "| req/s | p50 ms | p95 ms | p99 ms | max ms | errors | non-2xx | purges | X-Cache |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {result['rps']:.0f} | {result['p50']:.1f} | {result['p95']:.1f} "
            f"| {result['p99']:.1f} | {result['max']:.1f} | {result['errors']} "
            f"| {result['non_2xx']} | {result['purges']} | {states} |",
            "",
            f"Renders readers were given (new versions of a page, told apart by ETag; in the "
            f"request or by the background renderer, home/page_cache/refresh.py): "
            f"{result['renders']} of {result['pages_rendered']} pages, at most "
            f"{result['most_renders']} of one page across {result['purges']} purges.",
            "",
            f"Target (issue 17): p99 < {TARGET_P99_MS} ms and no errors across the purges: "
            f"{'met' if met else 'NOT met'}.",
            "",
        ]
    )


HEADING = "Purge storm"


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench purge-storm", description=__doc__)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (60)")
    parser.add_argument("--rate", type=int, default=200, help="offered requests/s (200)")
    parser.add_argument("--purge-every", type=float, default=5.0, help="seconds (5)")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-corpus", action="store_true", help="reuse the database as is")
    variant = parser.add_mutually_exclusive_group()
    variant.add_argument(
        "--no-stale",
        action="store_true",
        help="serve no previous copies (bench/no_stale_settings.py), for comparison",
    )
    variant.add_argument(
        "--in-request",
        action="store_true",
        help="each page's first reader after a purge renders it in its own request "
        "(bench/in_request_settings.py), for comparison",
    )
    args = parser.parse_args(argv)

    env = harness.bench_env()
    default = urllib.parse.urlsplit(harness.DEFAULT_DATABASE_URL)
    env["DATABASE_URL"] = os.environ.get(
        "BENCH_STORM_DATABASE_URL",
        urllib.parse.urlunsplit(default._replace(path="/" + DEFAULT_DATABASE)),
    )
    harness.ensure_wrk()
    redis = RedisServer().start()
    try:
        # Set-up first, with the server's Redis, so nothing is left in anyone else's.
        env["REDIS_URL"] = redis.url
        env["CACHE_KEY_PREFIX"] = "storm"
        prepare(env, args.skip_corpus)
        settings_module = (
            "bench.no_stale_settings"
            if args.no_stale
            else "bench.in_request_settings"
            if args.in_request
            else "bench.storm_settings"
        )
        with (
            tempfile.TemporaryDirectory(prefix="bench-storm-") as workdir,
            harness.gunicorn(env, settings_module, "site") as (base, _pid),
        ):
            paths = case_study_paths(base)
            log(f"{len(paths)} case studies; reading each once")
            started = time.monotonic()
            warm(base, paths)
            log(f"warmed in {time.monotonic() - started:.0f} s; the storm begins")
            result = storm(base, paths, env, args, workdir)
    finally:
        with contextlib.suppress(Exception):
            redis.stop()
    section = report(result, args, len(paths))
    if args.no_stale or args.in_request:
        # A comparison, not the site as deployed: printed, not written to RESULTS.md.
        title = "without previous copies" if args.no_stale else "with renders in the request"
        print(section.replace("## Purge storm", f"## Purge storm {title}"))
    else:
        sections.write_section(HEADING, section)
        print(section)
    print(json.dumps(result))
