"""The audit's bookkeeping (bench/audit.py): what it reads from a Lighthouse report, which
requests it counts as leaving the server, and which targets it says a page missed."""

from bench import audit

ORIGIN = "http://127.0.0.1:8123"


def report(scores, lcp=1200.0, failing=(), requests=(f"{ORIGIN}/",)):
    """The parts of a Lighthouse 12 JSON report that the audit reads."""
    audits = {
        audit_id: {"id": audit_id, "title": audit_id, "score": 1, "numericValue": 0.0}
        for audit_id in audit.METRICS
    }
    audits["largest-contentful-paint"]["numericValue"] = lcp
    audits["network-requests"] = {"details": {"items": [{"url": url} for url in requests]}}
    categories = {}
    for key, score in scores.items():
        refs = [{"id": f"{key}-ok", "weight": 1}, {"id": f"{key}-advice", "weight": 0}]
        audits[f"{key}-ok"] = {"id": f"{key}-ok", "title": "fine", "score": 1}
        audits[f"{key}-advice"] = {"id": f"{key}-advice", "title": "advice", "score": 0}
        for audit_id in failing:
            if audit_id.startswith(key):
                refs.append({"id": audit_id, "weight": 1})
                audits[audit_id] = {"id": audit_id, "title": "Broken thing", "score": 0}
        categories[key] = {"score": score, "auditRefs": refs}
    return {"categories": categories, "audits": audits}


ALL_ONES = dict.fromkeys(audit.CATEGORIES, 1.0)


def test_a_page_meeting_every_target_misses_none():
    row = audit.summarise("home", "/", report(ALL_ONES, lcp=1499))
    assert audit.missed_targets(row) == []
    assert row["failing"] == []


def test_scores_weighted_audits_and_lcp_below_target_are_named():
    scores = {**ALL_ONES, "performance": 0.9, "best-practices": 0.96}
    row = audit.summarise(
        "home", "/", report(scores, lcp=1500, failing=["best-practices-errors-in-console"])
    )
    assert audit.missed_targets(row) == [
        "performance 0.9 < 0.95",
        "best-practices 0.96 < 1.0",
        "LCP 1500 ms >= 1500 ms",
    ]
    # Unweighted advice does not count; a weighted audit below 1 does.
    assert row["failing"] == ["best-practices: best-practices-errors-in-console (Broken thing)"]


def test_requests_off_the_audited_server_are_reported():
    requests = [
        f"{ORIGIN}/",
        f"{ORIGIN}/static/site.css",
        "data:image/png;base64,AA",
        "https://fonts.example/font.woff2",
        "http://127.0.0.1:9999/",
    ]
    assert audit.off_origin_requests(report(ALL_ONES, requests=requests), ORIGIN) == [
        "http://127.0.0.1:9999/",
        "https://fonts.example/font.woff2",
    ]


def test_results_file_lists_scores_vitals_and_misses(tmp_path, monkeypatch):
    monkeypatch.setattr(audit, "RESULTS", tmp_path / "AUDIT.md")
    good = audit.summarise("home", "/", report(ALL_ONES, lcp=1100))
    slow = audit.summarise("case study", "/cs/", report(ALL_ONES, lcp=1600))
    rows = [
        {**good, "all_performance": [1.0, 1.0], "all_lcp": [1100.0, 1200.0]},
        {**slow, "all_performance": [1.0, 0.99], "all_lcp": [1600.0, 1700.0]},
    ]
    audit.write_results(rows, 2, "12.8.2", "Chromium 1")
    text = (tmp_path / "AUDIT.md").read_text()
    assert "| home (`/`) | 1.00 | 1.00 | 1.00 | 1.00 | 1100 | 0.000 |" in text
    assert "| 1.00, 0.99 | 1600, 1700 |" in text
    assert "- case study: LCP 1600 ms >= 1500 ms" in text
