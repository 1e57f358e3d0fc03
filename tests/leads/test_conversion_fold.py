"""The fold: counts kept in Redis reach the database exactly once, whatever stops when; a
Redis that is away keeps the tally in the process instead of failing a page."""

import datetime
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.db.models import Sum

from leads.conversion import counter, fold
from leads.conversion.classify import View
from leads.conversion.tasks import fold_page_views
from leads.models import PageViewDay, ViewFold
from tests.fault_services import free_port, wait_for_port
from tests.leads.conversion import DESKTOP, empty_tally
from tests.leads.test_worker_outage import database_url

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.date(2026, 11, 30)
VIEW = View("testserver", "/case-studies/a/", "news", "email", "spring", "", "desktop")


def total():
    return PageViewDay.objects.aggregate(n=Sum("views"))["n"] or 0


@pytest.fixture
def counts_in_redis(settings, private_redis, db):
    empty_tally()
    settings.LEADS_COUNT_REDIS_URL = private_redis.url
    return private_redis


@pytest.mark.django_db
class TestFold:
    def test_counts_arrive_once(self, counts_in_redis):
        for _ in range(5):
            counter.count(VIEW, day=DAY)
        counter.flush()
        assert fold() == 5
        assert fold() == 0
        row = PageViewDay.objects.get()
        assert (row.day, row.views, row.utm_campaign) == (DAY, 5, "spring")
        assert counter.redis_client().dbsize() == 0

    def test_a_fold_that_stopped_after_its_commit_adds_nothing_twice(self, counts_in_redis):
        client = counter.redis_client()
        batch_key = f"leads:views:batch:{DAY}:abc123"
        client.hset(batch_key, counter.field(VIEW), 7)
        assert fold() == 7
        # As if the deletion had not happened: the same batch is still in Redis.
        client.hset(batch_key, counter.field(VIEW), 7)
        assert fold() == 0
        assert total() == 7
        assert ViewFold.objects.filter(batch="abc123").exists()

    def test_the_task_folds_and_books_itself_only_where_it_can_defer(self, counts_in_redis):
        counter.count(VIEW, day=DAY)
        # The immediate backend of the tests cannot defer: one run, no booking loop.
        result = fold_page_views.enqueue()
        assert result.return_value == 1
        assert total() == 1

    def test_a_redis_that_is_away_keeps_the_tally(self, counts_in_redis, client, demo_site):
        counts_in_redis.kill()
        response = client.get("/case-studies/", HTTP_USER_AGENT=DESKTOP)
        assert response.status_code == 200
        assert counter.flush() == 0
        assert counter.pending() == 1
        counts_in_redis.start()
        assert counter.flush() == 1
        assert fold() == 1
        assert PageViewDay.objects.get().path == "/case-studies/"

    def test_without_redis_the_hand_over_writes_the_database(self, settings, demo_site):
        empty_tally()
        settings.LEADS_COUNT_REDIS_URL = ""
        counter.count(VIEW, day=DAY)
        counter.count(VIEW, day=DAY)
        assert counter.flush() == 2
        assert total() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_across_two_processes_count_exactly(private_redis, settings):
    """N concurrent requests to a real gunicorn with two worker processes raise the day's
    count by exactly N after the fold."""
    settings.LEADS_COUNT_REDIS_URL = private_redis.url
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.leads.counting_server_settings",
        "DATABASE_URL": database_url(),
        "TEST_COUNT_REDIS_URL": private_redis.url,
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cms.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=60)
        requests, threads = 200, 20
        statuses = []
        lock = threading.Lock()

        def reader(n):
            for _ in range(n):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", headers={"User-Agent": DESKTOP}
                )
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    response.read()
                    with lock:
                        statuses.append(response.status)

        workers = [
            threading.Thread(target=reader, args=(requests // threads,)) for _ in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert statuses == [200] * requests
        # Each process hands its tally over within LEADS_COUNT_FLUSH_SECONDS (1 s here).
        deadline = time.monotonic() + 10
        added = 0
        while time.monotonic() < deadline and added < requests:
            time.sleep(1.2)
            added += fold()
        assert added == requests
        assert total() == requests
    finally:
        server.terminate()
        server.wait(30)
