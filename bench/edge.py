"""The edge row: a case study served by Varnish (deploy/varnish/site.vcl, Debian's varnishd)
in front of the bench's production gunicorn, as a ratio to the same Django ceiling.

`make bench` adds the row "case study via Varnish" to its table (`case_study_row`).
`python -m bench edge` measures only that row, on a database of its own holding the demo site
(BENCH_EDGE_DATABASE_URL, default cms_bench_edge), for a quick look without the whole run.
"""

import argparse
import contextlib
import urllib.parse

from tests.edge_services import Varnish, have_varnishd

PAGE_NAME = "case study"


def log(message):
    print(f"bench edge: {message}", flush=True)


def ensure_varnishd():
    if not have_varnishd():
        raise SystemExit(
            "bench: varnishd is needed: `apt-get install varnish` (then `systemctl disable "
            "--now varnish` if the package started its own service; the bench runs its own)."
        )


@contextlib.contextmanager
def varnish_in_front(site_url):
    """site.vcl with its backend pointed at the bench's gunicorn; yields Varnish's base URL."""
    address = urllib.parse.urlsplit(site_url)
    server = Varnish(address.hostname, address.port, storage="malloc,256m").start()
    try:
        yield server.url
    finally:
        server.stop()


def case_study_row(pages, site_url, measure, fetch):
    """The case study through Varnish, measured by `measure(url)` (the bench's alternating
    page/ceiling load); refuses to measure anything but Varnish's own copy."""
    ensure_varnishd()
    page = next(page for page in pages if page["name"] == PAGE_NAME)
    with varnish_in_front(site_url) as varnish_url:
        url = varnish_url + page["path"]
        fetch(url)
        status, headers, _ = fetch(url)
        if status != 200 or headers.get("X-Edge-Cache") != "HIT":
            raise SystemExit(
                f"bench: Varnish did not keep {page['path']} ({status}, "
                f"X-Edge-Cache {headers.get('X-Edge-Cache')})"
            )
        log(f"loading {PAGE_NAME} via Varnish and the ceiling")
        result = measure(url)
    return {
        **result,
        "name": f"{PAGE_NAME} via Varnish",
        "variant": "edge",
        "state": "HIT (Varnish)",
        "queries": 0,
    }


def main(argv, bench):
    """`python -m bench edge`; `bench` is bench/__main__.py (its servers, load and table)."""
    parser = bench.load_arguments(
        argparse.ArgumentParser(prog="python -m bench edge", description=__doc__)
    )
    args = parser.parse_args(argv)
    ensure_varnishd()
    env, pages = bench.demo_site_env("BENCH_EDGE_DATABASE_URL", "cms_bench_edge")
    rows = []
    with (
        bench.gunicorn(env, "bench.ceiling", "ceiling") as (ceiling_url, _),
        bench.gunicorn(env, "cms.settings.production", "site") as (site_url, _),
    ):
        page = next(page for page in pages if page["name"] == PAGE_NAME)
        bench.fetch(site_url + page["path"])
        _, headers, _ = bench.fetch(site_url + page["path"])
        measure = lambda url, headers=(): bench.load_against_ceiling(  # noqa: E731
            url, ceiling_url + "/", args, headers
        )
        rows.append(
            {
                **measure(site_url + page["path"]),
                "name": PAGE_NAME,
                "variant": "cached",
                "state": headers.get("X-Cache", ""),
            }
        )
        rows.append(case_study_row(pages, site_url, measure, bench.fetch))
    print(bench.table(rows))
