"""The benchmark harness (`make bench`): a corpus on PostgreSQL, the site under gunicorn with
production settings, a trivial Django view as the ceiling, and `wrk` against both."""
