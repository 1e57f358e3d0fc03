"""What a cold render costs: the pages rendered with nothing cached but a warm process.

`python -m bench render` (bench environment, the bench database):

* `--profile`: in-process, with the cold server's settings (bench/cold_settings.py: the page
  cache off, so no shared fragments; the site snapshot stays), renders home, the case-study
  index and a case study a few times to warm the process, then times `--rounds` renders of
  each and prints wall and CPU milliseconds and the queries per render, and the top functions
  under cProfile (cumulative and own time). Loads nothing, so it can run while the machine is
  being measured.
* without it: serves the site under gunicorn with bench/cold_settings.py beside the ceiling
  (bench/__main__.py's servers and alternating load) and prints the cold rows' ratios.
"""

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import time

from bench import __main__ as harness

# The pages `make bench` also loads on its cold server (issue 17's render-cost targets).
COLD_ROWS = ("home", "case study index", "case study")

PAGES = [
    ("home", "/"),
    ("case study index", "/case-studies/"),
    ("case study", "/case-studies/bench-7/"),
]


def _profile(rounds, top):
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    report = []
    for name, path in PAGES:
        for _ in range(3):
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"bench: {path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        # Copied now: the next request's request_started signal empties the query log.
        queries = list(captured.captured_queries)
        # CPU time of this process: the machine is shared, so wall time mostly measures
        # what else is running; the server's throughput follows its CPU time per request.
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            client.get(path)
        took = (time.perf_counter() - started) / rounds * 1000
        took_cpu = (time.process_time() - started_cpu) / rounds * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top // 2)
        report.append((name, path, (took, took_cpu), queries, out.getvalue()))
    for name, path, took, queries, profile in report:
        print(
            f"\n=== {name} ({path}): {took[0]:.1f} ms per render ({took[1]:.1f} ms CPU), "
            f"{len(queries)} queries"
        )
        for query in queries:
            print("   ", query["sql"][:200])
        print(profile)
    print(json.dumps({name: [round(ms, 1) for ms in took] for name, _, took, _, _ in report}))


def _load(args):
    env = harness.bench_env()
    harness.ensure_wrk()
    harness.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    rows = []
    with (
        harness.gunicorn(env, "bench.ceiling", "ceiling") as (ceiling_url, _),
        harness.gunicorn(env, "bench.cold_settings", "cold site") as (cold_url, _),
    ):
        for name, path in PAGES:
            result = harness.load_against_ceiling(cold_url + path, ceiling_url + "/", args)
            ratio = 100 * result["rps"] / result["ceiling"] if result["ceiling"] else 0
            rows.append(
                f"| {name} | cold | {result['rps']:.0f} | {result['ceiling']:.0f} "
                f"| {ratio:.1f}% | {result['p50']:.1f} | {result['p99']:.1f} "
                f"| {result['errors']} |"
            )
    print("| page | variant | req/s | ceiling req/s | % of ceiling | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench render", description=__doc__)
    parser.add_argument("--profile", action="store_true", help="profile in-process, no load")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--top", type=int, default=40, help="functions listed per page")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slices", type=int, default=5)
    args = parser.parse_args(argv)
    if args.profile:
        # In a child with the bench environment and the cold server's settings.
        env = {**harness.bench_env(), "DJANGO_SETTINGS_MODULE": "bench.cold_settings"}
        command = [sys.executable, "-m", "bench.render", "--profile-here", str(args.rounds)]
        subprocess.run([*command, str(args.top)], env=env, check=True)
    else:
        _load(args)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profile-here"]:
        _profile(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main(sys.argv[1:])
