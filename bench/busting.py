"""The cache-busting row: a case study asked for with a new unknown query parameter on every
request (`?r=N`), against the same page cache as the plain "cached" row.

What it shows: the page cache drops parameters a page does not declare
(home/page_cache/query.py), so these requests are hits on the plain page's entry; before, each
one was a miss that rendered the page and stored another copy (issue #17's 1.3%).
"""

import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
NAME = "case study, unknown query param"


def script():
    """A wrk script: bench/busting.lua's unique parameters, then the usual summary line."""
    text = (BENCH / "busting.lua").read_text() + (BENCH / "wrk_report.lua").read_text()
    with tempfile.NamedTemporaryFile(
        "w", prefix="bench-busting-", suffix=".lua", delete=False
    ) as file:
        file.write(text)
    return file.name


def row(pages, site_url, ceiling_url, args, fetch, measure):
    """The row for `python -m bench`'s table, or None when the corpus has no case study.

    `fetch` and `measure` are bench/__main__.py's fetch and load_against_ceiling."""
    page = next((page for page in pages if page["name"] == "case study"), None)
    if page is None:
        return None
    url = site_url + page["path"]
    fetch(url)  # the plain page's entry, as any reader would have left it
    _, headers, _ = fetch(url + "?r=warm")
    path = script()
    try:
        result = measure(url, ceiling_url + "/", args, script=path)
    finally:
        Path(path).unlink(missing_ok=True)
    return {
        **result,
        "name": NAME,
        "variant": "cached",
        "state": headers.get("X-Cache", ""),
        "queries": page.get("cached_queries", ""),
    }
