"""The faults run's bookkeeping (bench/faults.py): where its section goes in bench/RESULTS.md
and how it tells a lead kept through the database cut from one stored before or never."""

from bench.faults import HEADING, Outcome, StoredLeads, last_spooled, proxied
from bench.sections import section_of, write_section

CUT, RESTORED = 35.0, 50.0
HAPPENED = {"PostgreSQL cut": CUT, "PostgreSQL restored": RESTORED}


def stored_leads(first_seen):
    stored = StoredLeads("postgres://unused", "%", lambda: 0.0)  # never started: no query
    stored.first_seen = dict(first_seen)
    return stored


def post(email, started, ended, status=303):
    return Outcome("POST", started, ended, status, email)


def test_the_section_replaces_the_last_faults_run_and_keeps_the_rest(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# Benchmark results\n\n| page |\n\n## Faults run\n\nold table\n\n## Targets\n\n- kept\n"
    )

    write_section(HEADING, "## Faults run\n\nnew table\n", results)

    assert results.read_text() == (
        "# Benchmark results\n\n| page |\n\n## Faults run\n\nnew table\n\n## Targets\n\n- kept\n"
    )


def test_the_section_is_added_at_the_end_when_the_file_has_none(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n| page |\n")

    write_section(HEADING, "## Faults run\n\nnew table\n", results)

    assert results.read_text() == "# Benchmark results\n\n| page |\n\n## Faults run\n\nnew table\n"


def test_make_bench_finds_the_section_to_keep_it():
    text = "# Benchmark results\n\n## Faults run\n\ntable\n\n## Targets\n"
    assert section_of(HEADING, text) == "## Faults run\n\ntable"
    assert section_of("Purge storm", text) is None


def test_the_drain_time_is_that_of_the_last_lead_answered_during_the_cut():
    posts = [
        post("a@x", 40.0, 40.2),
        post("b@x", 44.0, 44.3),
        post("refused@x", 45.0, 45.1, status=500),
        # Answered after the restore: it may simply have reached the database then.
        post("late@x", 49.9, 50.2),
    ]
    stored = stored_leads({"a@x": 50.5, "b@x": 52.25, "late@x": 60.0})

    assert last_spooled(posts, HAPPENED, stored).startswith(
        "2.2 s after PostgreSQL was restored (2 of the 2 accepted while it was cut"
    )


def test_a_lead_accepted_during_the_cut_and_never_stored_is_reported():
    posts = [post("a@x", 40.0, 40.2), post("b@x", 44.0, 44.3)]

    assert last_spooled(posts, HAPPENED, stored_leads({"a@x": 51.0})).startswith(
        "never: 1 of the 2 accepted while it was cut"
    )


def test_no_lead_accepted_during_the_cut():
    posts = [post("a@x", 40.0, 40.2, status=500), post("b@x", 20.0, 20.2)]

    assert last_spooled(posts, HAPPENED, stored_leads({"b@x": 21.0})) == (
        "no POST was accepted while PostgreSQL was cut"
    )


def test_the_site_reaches_the_database_through_the_proxy_port():
    assert proxied("postgres://postgres@127.0.0.1:5432/cms_bench_faults", 41234) == (
        "postgres://postgres@127.0.0.1:41234/cms_bench_faults"
    )
    assert proxied("postgres://db.internal/cms", 41234) == "postgres://127.0.0.1:41234/cms"
