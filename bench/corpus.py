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
    ("case studies", app_step("breaches", CASE_STUDIES)),
    ("leads", app_step("leads", LEADS)),
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
