"""Which URLs the benchmark loads, and how many queries each costs.

Run inside Django (`python -m bench.pages`, bench environment): finds the pages in the corpus,
requests each through Django's test client with CaptureQueriesContext (uncached and cold, with
the settings of the bench's uncached and cold servers; then from the page cache) and prints
them as JSON for `python -m bench`.

Adding pages (case-study index with a filter, a case study): give the app's `demo.py` a
function `bench_pages()` returning [(name, path, cacheable), ...]. Until then, any live
BreachIndexPage / BreachCaseStudyPage found in the corpus is measured under a generic name.
"""

import json
import sys
from contextlib import suppress
from importlib import import_module
from importlib.util import find_spec

BUILT_IN = [
    # (name, path, cacheable: measure a page-cache variant too)
    ("home", "/", True),
    ("standard page", "/about/guides/guide-0007/", True),
    ("guides index", "/about/guides/", True),
    ("search with a query", "/search/?q=data+breach+claim", False),
]


def discover():
    from django.apps import apps

    pages = list(BUILT_IN)
    with suppress(LookupError):
        breach_type = apps.get_model("breaches", "BreachType").objects.order_by("pk").first()
        study = apps.get_model("breaches", "BreachCaseStudyPage")
        if breach_type:
            pages.append(
                ("case study index, filtered", f"/case-studies/?type={breach_type.slug}", True)
            )
        bench_study = study.objects.live().filter(slug="bench-7").first()
        if bench_study:
            pages.append(("case study", bench_study.url, True))
    seen = {path for _, path, _ in pages}
    provided = set()
    for app in ("breaches", "leads"):
        module_name = f"{app}.demo"
        if find_spec(app) and find_spec(module_name):
            hook = getattr(import_module(module_name), "bench_pages", None)
            if hook:
                provided.add(app)
                for name, path, cacheable in hook():
                    if path not in seen:
                        pages.append((name, path, cacheable))
                        seen.add(path)
    # >>> generic fallback for the case-study feature until breaches.demo.bench_pages exists.
    if "breaches" not in provided:
        for model_name, label in (
            ("BreachIndexPage", "case study index"),
            ("BreachCaseStudyPage", "case study"),
        ):
            try:
                model = apps.get_model("breaches", model_name)
            except LookupError:
                continue
            page = model.objects.live().public().order_by("-pk").first()
            if page and page.url and page.url not in seen:
                pages.append((label, page.url, True))
                seen.add(page.url)
    return pages


def measure(pages):
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from bench import cold_settings, uncached_settings

    results = []
    for name, path, cacheable in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        # Configured as the bench's uncached and cold servers are.
        with override_settings(PAGE_CACHE_SKIP_PATHS=uncached_settings.PAGE_CACHE_SKIP_PATHS):
            # The first render may build image renditions and warm per-process caches; the
            # figure that matters under load is the steady state, so count the second one.
            client.get(path)
            with CaptureQueriesContext(connection) as uncached:
                response = client.get(path)
        with (
            override_settings(PAGE_CACHE_ENABLED=cold_settings.PAGE_CACHE_ENABLED),
            CaptureQueriesContext(connection) as cold,
        ):
            client.get(path)
        row = {
            "name": name,
            "path": path,
            "cacheable": cacheable,
            "status": response.status_code,
            "queries": len(uncached.captured_queries),
            "cold_queries": len(cold.captured_queries),
            "bytes": len(response.content),
        }
        if cacheable:
            client.get(path)
            with CaptureQueriesContext(connection) as cached:
                response = client.get(path)
            row["cached_queries"] = len(cached.captured_queries)
            row["cached_state"] = response.get("X-Cache", "")
        results.append(row)
    return results


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(measure(discover())))
    sys.stdout.flush()
