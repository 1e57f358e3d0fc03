"""Search latency over a large corpus of case studies.

Standalone: builds (once) a corpus of generated case studies in the database DATABASE_URL names,
then times the reader's search page and the bare search (search.views.find) for a set of
realistic queries, and prints p50/p95 per kind, the queries each search page ran, the same page
without a query (the page shell, no search) and the load average before and after (the machine
is shared: compare runs at similar load). Meant for PostgreSQL; it refuses SQLite unless
--allow-sqlite.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cms_bench .venv/bin/python bench/search.py

Options: --count N (default 5000 case studies), --rounds N (default 5), --json PATH.
Running it again reuses the corpus already built.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

PREFIX = "bench-"
ADJECTIVES = [
    "North",
    "South",
    "East",
    "West",
    "Upper",
    "Lower",
    "Greater",
    "Royal",
    "Central",
    "New",
    "Old",
    "Little",
    "Great",
    "Saint",
    "Kings",
    "Queens",
    "Bridge",
    "Castle",
    "Harbour",
    "Vale",
]
PLACES = [
    "Ashby",
    "Brackley",
    "Corfe",
    "Dunmore",
    "Elston",
    "Fallow",
    "Glenham",
    "Hatherley",
    "Ilverton",
    "Juniper",
    "Kelby",
    "Lanwick",
    "Marston",
    "Norley",
    "Oakhurst",
    "Pennick",
    "Quarry",
    "Redmere",
    "Selby",
    "Thornbury",
    "Ulverby",
    "Wexcombe",
    "Yarrow",
    "Zennor",
]
KINDS = {
    "police": ["Police", "Constabulary"],
    "health": ["NHS Trust", "Hospitals NHS Foundation Trust", "Health Board", "GP Practice"],
    "council": ["Borough Council", "County Council", "District Council"],
    "government": ["Agency", "Office"],
    "education": ["Academy Trust", "University", "College"],
    "retail": ["Stores", "Retail Group", "Supermarkets"],
    "finance": ["Bank", "Building Society", "Insurance"],
    "telecoms": ["Mobile", "Broadband", "Telecom"],
    "travel": ["Airways", "Rail", "Holidays"],
    "charity": ["Foundation", "Trust"],
    "other": ["Group", "Services"],
}
WORDS = [
    "records",
    "letters",
    "email",
    "attachment",
    "password",
    "laptop",
    "USB",
    "stick",
    "database",
    "server",
    "customers",
    "patients",
    "tenants",
    "pupils",
    "staff",
    "account",
    "address",
    "postcode",
    "benefit",
    "diagnosis",
    "appointment",
    "spreadsheet",
    "hidden",
    "tab",
    "contractor",
    "cloud",
    "backup",
    "phishing",
    "ransomware",
    "attackers",
    "stolen",
    "lost",
    "unencrypted",
    "misdirected",
    "disclosure",
    "complaint",
    "regulator",
    "investigation",
    "apology",
    "fine",
    "notice",
    "compensation",
    "distress",
    "identity",
    "fraud",
    "card",
    "bank",
    "details",
    "passport",
    "phone",
    "number",
]
QUERIES = [
    "police email breach",
    "lost USB",
    "NHS",
    "west midlands police",
    "west midlnds polise",
    "council spreadsheet",
    "bank staff looked up accounts",
    "ransomware",
    "airline passport",
    "harbourline",
    "misdirected letters hospital",
    "unencrypted laptop stolen",
    "thornbury borough",
    "marstn bank",
    "kelby",
    "insecure email",
    "zzzzqqqq no match",
    "north",
]


def _organisation(rng, sector):
    return f"{rng.choice(ADJECTIVES)} {rng.choice(PLACES)} {rng.choice(KINDS[sector])}"


def _sentence(rng, organisation, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    return f"{organisation} {' '.join(words)}."


def _quiet_bulk_saves(model):
    """Thousands of saves in a row: skip the per-save search indexing (the index is rebuilt
    once at the end), the page-cache purges (nothing is cached here) and the info logs."""
    import logging

    from django.db.models.signals import post_save
    from modelsearch.signal_handlers import post_save_signal_handler

    post_save.disconnect(post_save_signal_handler, sender=model)
    post_save.disconnect(dispatch_uid="page_cache_page_saved")
    logging.getLogger("wagtail").setLevel(logging.WARNING)


def build_corpus(count, stdout):
    from django.core.management import call_command

    from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType

    if not BreachIndexPage.objects.exists():
        call_command("load_demo_content", stdout=stdout)
    index = BreachIndexPage.objects.get()
    existing = BreachCaseStudyPage.objects.filter(slug__startswith=PREFIX).count()
    if existing >= count:
        stdout.write(f"Corpus ready: {existing} generated case studies.\n")
        return existing
    types = list(BreachType.objects.all())
    rng = random.Random(20261125 + existing)
    _quiet_bulk_saves(BreachCaseStudyPage)
    sectors = list(KINDS)
    started = time.perf_counter()
    for number in range(existing, count):
        sector = rng.choice(sectors)
        organisation = _organisation(rng, sector)
        start = rng.randrange(2012, 2026)
        page = BreachCaseStudyPage(
            title=f"{organisation}: {rng.choice(WORDS)} {rng.choice(WORDS)} breach",
            slug=f"{PREFIX}{number}",
            organisation=organisation,
            sector=sector,
            period_start=start,
            period_end=start + rng.choice([0, 0, 0, 1, 2]),
            incidents_reported=rng.randrange(1, 400),
            people_affected=rng.choice([None, rng.randrange(10, 500_000)]),
            published_date=datetime.date(2020, 1, 1) + datetime.timedelta(rng.randrange(2200)),
            summary=_sentence(rng, organisation, 30),
            body=[
                ("heading", {"text": "What happened", "level": "h2"}),
                ("paragraph", f"<p>{_sentence(rng, organisation, 120)}</p>"),
                ("paragraph", f"<p>{_sentence(rng, organisation, 120)}</p>"),
            ],
            live=True,
        )
        page.breach_types = rng.sample(types, rng.randrange(1, 4))
        index.add_child(instance=page)
        if number % 500 == 499:
            elapsed = time.perf_counter() - started
            stdout.write(f"  {number + 1} case studies ({elapsed:.0f}s)\n")
            index.refresh_from_db()
    # Breach types are saved after the page row, so rebuild the index once, at the end.
    stdout.write("Rebuilding the search index...\n")
    call_command("update_index", verbosity=0)
    return BreachCaseStudyPage.objects.filter(slug__startswith=PREFIX).count()


def percentile(samples, fraction):
    ordered = sorted(samples)
    position = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[position]


def summarise(samples):
    milliseconds = [s * 1000 for s in samples]
    return {
        "n": len(milliseconds),
        "p50_ms": round(statistics.median(milliseconds), 1),
        "p95_ms": round(percentile(milliseconds, 0.95), 1),
        "max_ms": round(max(milliseconds), 1),
    }


def measure(rounds):
    from django.db import connection, reset_queries
    from django.test import Client

    from breaches.models import BreachCaseStudyPage
    from search.views import find, search_terms

    client = Client(HTTP_HOST="localhost")
    queryset = BreachCaseStudyPage.objects.live().public()
    view, backend, queries, shell = [], [], [], []
    per_query = {query: [] for query in QUERIES}
    for round_number in range(rounds + 1):  # round 0 warms caches and connections
        # The same page without a query (no search at all): what the page shell costs here.
        for _ in range(3):
            started = time.perf_counter()
            assert client.get("/search/").status_code == 200
            if round_number:
                shell.append(time.perf_counter() - started)
        for query in QUERIES:
            executed = []

            def counted(run, *args, executed=executed):
                executed.append(1)
                return run(*args)

            # Counted by a wrapper: the request's start empties Django's own query log.
            with connection.execute_wrapper(counted):
                started = time.perf_counter()
                response = client.get("/search/", {"q": query})
                took = time.perf_counter() - started
            assert response.status_code == 200, (query, response.status_code)
            started = time.perf_counter()
            list(find(queryset, search_terms(query), "1").object_list)
            backend_took = time.perf_counter() - started
            reset_queries()
            if round_number:
                view.append(took)
                backend.append(backend_took)
                queries.append(len(executed))
                per_query[query].append(took)
    return {
        "search_page": summarise(view),
        "search_page_queries": {"min": min(queries), "max": max(queries)},
        "backend_only": summarise(backend),
        "page_without_query": summarise(shell),
        "per_query_p50_ms": {
            query: round(statistics.median(samples) * 1000, 1)
            for query, samples in per_query.items()
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--allow-sqlite", action="store_true")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # no query log growing through thousands of requests
    if connection.vendor != "postgresql" and not args.allow_sqlite:
        parser.error("set DATABASE_URL to a PostgreSQL database (or pass --allow-sqlite)")
    call_command("migrate", verbosity=0)
    corpus = build_corpus(args.count, sys.stdout)
    load_before = os.getloadavg()
    figures = {
        "database": connection.vendor,
        "case_studies": corpus,
        "queries": len(QUERIES),
        "rounds": args.rounds,
        **measure(args.rounds),
        # Other work on the machine moves these figures: the 1-minute load before and after.
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
