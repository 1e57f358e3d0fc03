"""Builds the benchmark corpus, step by step, in the bench database.

Run by `python -m bench` as `python -m bench.corpus` with the bench environment (production
settings, DATABASE_URL pointing at cms_bench). Every step is idempotent: a second run keeps
what exists and only tops it up, so `make bench` stays fast after the first time.

Adding to the corpus (the case studies and leads, once those apps land): give the app's
`demo.py` a function

    def build_bench_corpus(n, stdout): ...   # create up to n objects, idempotently

and list it in STEPS below with the size the issue asks for. Until the function exists the
step is reported as skipped, with the reason, and the run goes on.
"""

import sys
from importlib import import_module
from importlib.util import find_spec

# Sizes from issue 8: at least 1,000 case studies (with images, breach types, related posts)
# and 100,000 leads.
STANDARD_PAGES = 200
CASE_STUDIES = 1_000
LEADS = 100_000


def demo_content(stdout):
    from django.core.management import call_command

    call_command("load_demo_content", stdout=stdout)
    return "demo site loaded"


def standard_pages(stdout, n=STANDARD_PAGES):
    """n plain content pages under /about/guides/, with a body of a realistic length."""
    from home.models import StandardPage

    about = StandardPage.objects.get(slug="about")
    guides = StandardPage.objects.child_of(about).filter(slug="guides").first()
    if guides is None:
        guides = StandardPage(
            title="Guides", slug="guides", intro="Plain-English guides to data breach claims."
        )
        about.add_child(instance=guides)
        guides.save_revision().publish()
    existing = set(StandardPage.objects.child_of(guides).values_list("slug", flat=True))
    created = 0
    for i in range(n):
        slug = f"guide-{i:04d}"
        if slug in existing:
            continue
        body = [
            ("heading", {"text": f"Part {part}: what happens next", "level": "h2"})
            if part % 2
            else (
                "paragraph",
                f"<p>Guide {i}, part {part}. When an organisation loses control of your "
                "personal data you may be able to claim for the distress it caused, even "
                "without any money lost. This guide explains the steps in order.</p>",
            )
            for part in range(12)
        ]
        page = StandardPage(
            title=f"Guide {i}: claiming after a data breach",
            slug=slug,
            intro="What a claim involves, how long it takes and what it costs you.",
            body=body,
        )
        guides.add_child(instance=page)
        page.save_revision().publish()
        created += 1
    return f"{created} created, {len(existing)} kept"


BENCH_SLUG = "bench-"
LEAD_MARK = "bench-corpus"


def _quiet_page_saves():
    """Thousands of inserts in a row: no per-save search indexing (the new pages are indexed
    in one batch at the end) and no page-cache purges (the cache is flushed before loading)."""
    import logging

    from django.db.models.signals import post_save
    from modelsearch.signal_handlers import post_save_signal_handler

    from breaches.models import BreachCaseStudyPage

    post_save.disconnect(post_save_signal_handler, sender=BreachCaseStudyPage)
    post_save.disconnect(dispatch_uid="page_cache_page_saved")
    post_save.disconnect(dispatch_uid="page_cache_model_saved")
    logging.getLogger("wagtail").setLevel(logging.WARNING)


def case_studies(stdout, n=CASE_STUDIES):
    """n live case studies under the demo index: a few shared generated images, one to three
    breach types, two sources each, editor-picked related posts on every third one."""
    import datetime
    import random
    import time

    from django.utils import timezone
    from wagtail.search.backends import get_search_backend

    from bench.search import KINDS, WORDS, _organisation, _sentence
    from breaches import demo as breaches_demo
    from breaches.models import (
        BreachCaseStudyPage,
        BreachIndexPage,
        BreachType,
        CaseStudySource,
        RelatedCaseStudy,
    )

    index = BreachIndexPage.objects.get()
    existing = set(
        BreachCaseStudyPage.objects.filter(slug__startswith=BENCH_SLUG).values_list(
            "slug", flat=True
        )
    )
    if len(existing) >= n:
        return f"0 created, {len(existing)} kept"
    images = [
        breaches_demo._image(f"bench-image-{i}", f"Bench illustration {i}", colour)
        for i, colour in enumerate([(30, 60, 110), (120, 40, 50), (30, 100, 70), (90, 70, 20)])
    ]
    types = list(BreachType.objects.all())
    _quiet_page_saves()
    rng = random.Random(20261125)
    sectors = list(KINDS)
    created = []
    started = time.monotonic()
    now = timezone.now()
    for number in range(n):
        sector = rng.choice(sectors)
        organisation = _organisation(rng, sector)
        start = rng.randrange(2012, 2026)
        title = f"{organisation}: {rng.choice(WORDS)} {rng.choice(WORDS)} breach"
        picked = rng.sample(types, rng.randrange(1, 4))
        slug = f"{BENCH_SLUG}{number}"
        if slug in existing:
            continue
        page = BreachCaseStudyPage(
            title=title,
            slug=slug,
            organisation=organisation,
            sector=sector,
            period_start=start,
            period_end=start + rng.choice([0, 0, 0, 1, 2]),
            incidents_reported=rng.randrange(1, 400),
            people_affected=rng.choice([None, rng.randrange(10, 500_000)]),
            published_date=datetime.date(2020, 1, 1) + datetime.timedelta(rng.randrange(2200)),
            summary=_sentence(rng, organisation, 30)[:400],
            hero_image=images[number % len(images)],
            body=[
                ("heading", {"text": "What happened", "level": "h2"}),
                ("paragraph", f"<p>{_sentence(rng, organisation, 120)}</p>"),
                ("heading", {"text": "Who can claim", "level": "h2"}),
                ("paragraph", f"<p>{_sentence(rng, organisation, 120)}</p>"),
            ],
            live=True,
            first_published_at=now,
            last_published_at=now,
        )
        page.breach_types = picked
        index.add_child(instance=page)
        created.append(page)
        if len(created) % 250 == 0:
            index.refresh_from_db()
            print(
                f"  {len(created)} case studies ({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
            )
    CaseStudySource.objects.bulk_create(
        CaseStudySource(
            page=page,
            sort_order=position,
            title=f"{page.organisation} breach: {label}",
            publisher=publisher,
            url=f"https://example.org/{page.slug}/{position}",
            date=page.published_date,
        )
        for page in created
        for position, (label, publisher) in enumerate(
            [("regulator's notice", "Information Commissioner's Office"), ("report", "BBC")]
        )
    )
    pks = list(
        BreachCaseStudyPage.objects.filter(slug__startswith=BENCH_SLUG).values_list("pk", flat=True)
    )
    RelatedCaseStudy.objects.bulk_create(
        RelatedCaseStudy(page=page, related_page_id=rng.choice(pks), sort_order=position)
        for i, page in enumerate(created)
        if i % 3 == 0
        for position in range(2)
    )
    backend = get_search_backend()
    for start in range(0, len(created), 200):
        batch = BreachCaseStudyPage.objects.filter(
            pk__in=[page.pk for page in created[start : start + 200]]
        ).prefetch_related("breach_types")
        backend.add_bulk(BreachCaseStudyPage, list(batch))
    _analyze("wagtailcore_page", "breaches_breachcasestudypage", "breaches_relatedcasestudy")
    return f"{len(created)} created, {len(existing)} kept, {len(images)} shared images"


def _analyze(*tables):
    """Fresh planner statistics after a bulk insert, as autovacuum would give them later."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def leads(stdout, n=LEADS):
    """Exactly n leads marked as the corpus's, inserted in batches; leads left by an earlier
    run's form POST step are removed so each run starts from the same table."""
    from datetime import timedelta

    from django.utils import timezone

    from leads.models import Lead

    removed, _ = (
        Lead.objects.exclude(utm_source=LEAD_MARK).filter(email__endswith="@bench.example").delete()
    )
    existing = Lead.objects.filter(utm_source=LEAD_MARK).count()
    now = timezone.now()
    names = ["Ann Smith", "Zoë O'Brien-Łukasiewicz", "Rajesh Patel", '=HYPERLINK("x")']
    batch = []
    for number in range(existing, n):
        batch.append(
            Lead(
                full_name=names[number % 4],
                phone=f"+4477009{number % 100000:05d}",
                # As capture stores it (leads.phones.dialled), without parsing 100,000 numbers.
                phone_dialled=f"07700 9{number % 100000:05d}",
                email=f"corpus{number}@example.com",
                callback_time="morning",
                privacy_acknowledged_at=now,
                source_page_title="Bench case study",
                source_page_url="/case-studies/bench-1/",
                utm_source=LEAD_MARK,
                utm_campaign="spring" if number % 2 else "",
                created_at=now - timedelta(minutes=number),
                notification_status="sent",
            )
        )
        if len(batch) == 5000:
            Lead.objects.bulk_create(batch)
            batch = []
    if batch:
        Lead.objects.bulk_create(batch)
    return (
        f"{max(0, n - existing)} created, {existing} kept, {removed} from earlier POST runs removed"
    )


def app_step(app, n):
    """A step that asks `<app>.demo.build_bench_corpus(n, stdout)` for its part of the corpus."""

    def step(stdout):
        module_name = f"{app}.demo"
        if not find_spec(app) or not find_spec(module_name):
            return f"skipped: no {module_name} module yet"
        builder = getattr(import_module(module_name), "build_bench_corpus", None)
        if builder is None:
            return f"skipped: {module_name}.build_bench_corpus(n, stdout) not written yet"
        return builder(n, stdout) or f"{n} requested"

    step.__name__ = f"{app}_corpus"
    return step


# The pluggable list: (label, callable(stdout) -> summary string).
STEPS = [
    ("demo content", demo_content),
    ("standard pages", standard_pages),
    # >>> hooks for the case-study and leads features: they activate as soon as the apps
    # provide build_bench_corpus (see the module docstring).
    ("case studies", lambda stdout: case_studies(stdout)),
    ("leads", lambda stdout: leads(stdout)),
]


def build(stdout=sys.stdout):
    import time

    summaries = []
    for label, step in STEPS:
        started = time.monotonic()
        summary = step(stdout)
        took = time.monotonic() - started
        summaries.append((label, summary, took))
        print(f"corpus: {label}: {summary} ({took:.1f} s)", file=sys.stderr)
    return summaries


if __name__ == "__main__":
    import json
    import os

    import django

    django.setup()
    from django.db import connection

    result = build(open(os.devnull, "w"))  # noqa: SIM115 - demo loaders chatter on stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wagtailcore_page WHERE live")
        live_pages = cursor.fetchone()[0]
    print(json.dumps({"steps": result, "live_pages": live_pages}))
