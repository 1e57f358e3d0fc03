"""A call-back request the database cannot take is kept, and stored once when it is back.

The outages are real: Django's connection runs through a TCP proxy that the test cuts (as in a
PostgreSQL restart or failover), and the spool's Redis is a private redis-server the test
kills. What is checked is what the reader is told and what ends up stored.
"""

import json
import stat
import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from home.page_cache import snapshot
from leads import spool
from leads.capture import Submission, store
from leads.models import CallBackForm, Lead, NotificationStatus
from tests.leads.helpers import only_lead, submit_from

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
READER = {"full_name": "Zoë O'Brien-Łukasiewicz", "email": "zoe@example.com", "phone": "4960982"}


@pytest.fixture(autouse=True)
def spool_settings(settings, tmp_path):
    """A spool of the test's own, no stream unless the test gives one, and a background
    drainer that waits (the test drains when it chooses) and is stopped afterwards."""
    settings.LEADS_SPOOL_DIR = str(tmp_path / "lead-spool")
    settings.LEADS_SPOOL_REDIS_URL = ""
    settings.LEADS_SPOOL_RETRY_SECONDS = 3600
    settings.LEADS_MIN_FILL_SECONDS = 0
    spool.stop_background_drain()
    yield tmp_path / "lead-spool"
    spool.stop_background_drain()


@pytest.fixture
def database_through_proxy(transactional_db, database_through_proxy):
    """tests/fault_services.py's, with the spool's drainer stopped before the connection
    settings are put back."""
    yield database_through_proxy
    spool.stop_background_drain()


@pytest.fixture
def stream(settings, private_redis):
    """The spool's shared stream on a redis-server of the test's own."""
    settings.LEADS_SPOOL_REDIS_URL = private_redis.url
    return private_redis


def shared_cache_on(server):
    """Production's shared cache (fail-soft Redis) on the given redis-server."""
    return {
        "default": {
            "BACKEND": "home.page_cache.backend.FailSoftRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
        }
    }


def stream_length(server):
    return redis.Redis.from_url(server.url).xlen("leads:spool")


def spool_files(directory):
    return sorted(directory.glob("*.json")) if directory.exists() else []


def lead_tasks():
    return DBTaskResult.objects.filter(task_path="leads.tasks.send_lead_notification")


def back_online(proxy):
    proxy.restore()
    connection.close()  # the next query opens a new connection through the proxy


def a_submission(**overrides):
    values = {
        "key": str(uuid.uuid4()),
        "received_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "full_name": "Zoë O'Brien-Łukasiewicz",
        "phone": "+441214960982",
        "email": "zoe@example.com",
        "callback_time": "evening",
        "page_id": None,
        "form_id": None,
        "notice_version": "r1-abc",
        "page_title": "Police data breach",
        "page_url": "/case-studies/police/",
        "referrer": "https://www.example.org/",
        "user_agent": "Mozilla/5.0",
        "ip_hmac": "a" * 64,
        "spam_reasons": [],
        "tracking": {"utm_source": "newsletter", "gclid": "G-1"},
    }
    return Submission(**{**values, **overrides})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestDatabaseOutage:
    def test_a_request_sent_while_the_database_is_down_is_kept_then_stored_once(
        self, settings, client, home, home_html, database_through_proxy, stream, spool_settings
    ):
        settings.TASKS = DATABASE_TASKS
        database_through_proxy.cut()
        before = timezone.now()
        response = submit_from(
            client,
            home_html,
            headers={
                "HTTP_USER_AGENT": "Mozilla/5.0 (spool test)",
                "REMOTE_ADDR": "203.0.113.9",
            },
            utm_source="newsletter",
            utm_campaign="police-2024",
            gclid="abc123",
            referrer="https://www.example.org/search?q=police+breach",
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Request received" in html
        assert CallBackForm().success_message in html
        assert "no-store" in response["Cache-Control"]
        assert len(spool_files(spool_settings)) == 1
        assert stream_length(stream) == 1

        back_online(database_through_proxy)
        assert Lead.objects.count() == 0  # kept, not stored, until a drain
        assert spool.spool_status().records == 1

        result = spool.drain()
        assert (result.stored, result.folded, result.left) == (1, 0, 0)
        lead = only_lead()
        assert (lead.full_name, lead.phone, lead.email, lead.callback_time) == (
            READER["full_name"],
            "+441214960982",
            "zoe@example.com",
            "evening",
        )
        snippet = CallBackForm.objects.get()
        assert lead.form == snippet
        assert lead.privacy_notice_version == snippet.privacy_notice_version
        assert lead.source_page_id == home.pk
        assert (lead.source_page_title, lead.source_page_url) == (home.title, "/")
        assert lead.referrer == "https://www.example.org/search?q=police+breach"
        assert (lead.utm_source, lead.utm_campaign, lead.gclid) == (
            "newsletter",
            "police-2024",
            "abc123",
        )
        assert lead.user_agent == "Mozilla/5.0 (spool test)"
        assert len(lead.ip_hmac) == 64
        assert before <= lead.created_at <= before + timedelta(seconds=5)  # when received
        assert lead.privacy_acknowledged_at == lead.created_at
        assert lead.submission_key is not None
        assert lead.is_spam is False
        assert lead.notification_status == NotificationStatus.PENDING
        assert str(lead_tasks().get().id) == lead.notification_task_id
        assert spool_files(spool_settings) == []
        assert stream_length(stream) == 0

        again = spool.drain()
        assert (again.stored, again.folded) == (0, 0)
        assert Lead.objects.count() == 1
        assert lead_tasks().count() == 1

    def test_with_redis_down_too_the_file_keeps_it_and_spam_stays_flagged(
        self, settings, client, home_html, database_through_proxy, stream, spool_settings
    ):
        settings.TASKS = DATABASE_TASKS
        settings.CACHES = shared_cache_on(stream)
        stream.kill()  # the cache, the rate limit, the claims and the stream all gone
        database_through_proxy.cut()
        genuine = submit_from(client, home_html, json=True)
        assert genuine.status_code == 200
        assert genuine.json() == {"ok": True, "message": CallBackForm().success_message}
        bot = submit_from(client, home_html, email="bot@example.com", website="http://spam")
        assert bot.status_code == 200
        files = spool_files(spool_settings)
        assert len(files) == 2
        assert stat.S_IMODE(spool_settings.stat().st_mode) == 0o700
        assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}

        back_online(database_through_proxy)
        result = spool.drain()
        assert (result.stored, result.left, result.stream_unreachable) == (2, 0, True)
        person = Lead.objects.get(email="zoe@example.com")
        assert person.is_spam is False
        assert lead_tasks().get().args_kwargs == {"args": [person.pk], "kwargs": {}}
        flagged = Lead.objects.get(email="bot@example.com")
        assert (flagged.is_spam, flagged.spam_reasons) == (True, "honeypot")
        assert flagged.notification_status == NotificationStatus.SKIPPED
        assert spool_files(spool_settings) == []

    def test_the_web_process_stores_what_it_kept_once_the_database_is_back(
        self, settings, client, home_html, database_through_proxy, spool_settings
    ):
        settings.LEADS_SPOOL_RETRY_SECONDS = 0.2
        database_through_proxy.cut()
        assert submit_from(client, home_html).status_code == 200
        time.sleep(0.5)  # the drainer has tried and found the database still down
        assert len(spool_files(spool_settings)) == 1
        back_online(database_through_proxy)
        deadline = time.monotonic() + 15
        while not Lead.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert only_lead().email == "zoe@example.com"
        assert len(mail.outbox) == 1
        deadline = time.monotonic() + 5
        while spool_files(spool_settings) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert spool_files(spool_settings) == []

    def test_a_process_that_starts_during_the_outage_keeps_the_request_too(
        self, client, home_html, database_through_proxy, spool_settings
    ):
        # No site snapshot in memory yet (a worker restarted while PostgreSQL is down).
        snapshot.clear()
        database_through_proxy.cut()
        response = submit_from(client, home_html, json=True)
        assert response.json() == {"ok": True, "message": CallBackForm().success_message}
        assert len(spool_files(spool_settings)) == 1

    def test_the_database_going_away_after_the_store_does_not_fail_the_reader(
        self, client, home_html, database_through_proxy, monkeypatch
    ):
        key = str(uuid.uuid4())
        assert submit_from(client, home_html, submission_key=key).status_code == 303
        # The retry of the same request folds into the stored lead; the connection is cut
        # right after, before the page and message are looked up.
        monkeypatch.setattr(spool, "wake", database_through_proxy.cut)
        response = submit_from(client, home_html, submission_key=key, json=True)
        assert response.json() == {"ok": True, "message": CallBackForm().success_message}
        back_online(database_through_proxy)
        response = submit_from(client, home_html, submission_key=key)
        assert response.status_code == 303
        assert response["Location"] == "/?callback=sent#callback"  # the page's signed address
        back_online(database_through_proxy)
        assert Lead.objects.count() == 1

    def test_no_store_at_all_is_the_database_error(
        self, settings, client, home_html, database_through_proxy, spool_settings
    ):
        # Nowhere to keep it: the reader must not be told it was received.
        spool_settings.parent.joinpath("a-file").write_text("")
        settings.LEADS_SPOOL_DIR = str(spool_settings.parent / "a-file" / "spool")
        database_through_proxy.cut()
        client.raise_request_exception = False
        response = submit_from(client, home_html)
        assert response.status_code >= 500
        assert "Request received" not in response.content.decode()


@pytest.mark.django_db
class TestSpool:
    def test_files_are_owner_only_and_hold_the_whole_request(self, spool_settings):
        spool_settings.mkdir(mode=0o755)
        spool_settings.chmod(0o755)
        submission = a_submission()
        assert spool.keep(submission) is True
        (path,) = spool_files(spool_settings)
        assert stat.S_IMODE(spool_settings.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert Submission.from_json(path.read_text()) == submission
        assert json.loads(path.read_text())["tracking"]["gclid"] == "G-1"
        assert list(spool_settings.iterdir()) == [path]  # no temporary file left

    def test_a_request_kept_in_the_stream_and_a_file_is_stored_once(self, stream, spool_settings):
        submission = a_submission()
        assert spool.keep(submission)
        assert (stream_length(stream), len(spool_files(spool_settings))) == (1, 1)
        status = spool.spool_status()
        assert status.records == 1 and status.oldest_seconds >= 0

        result = spool.drain()
        assert (result.stored, result.folded, result.left) == (1, 0, 0)
        lead = only_lead()
        assert str(lead.submission_key) == submission.key
        assert lead.created_at == submission.received
        assert (lead.utm_source, lead.gclid) == ("newsletter", "G-1")
        assert len(mail.outbox) == 1
        assert (stream_length(stream), spool_files(spool_settings)) == (0, [])
        assert spool.spool_status() == (0, None)

    def test_a_crash_between_commit_and_removal_is_folded_on_the_next_drain(self, stream):
        submission = a_submission()
        spool.keep(submission)
        store(submission)  # a drain stored it and died before removing it
        result = spool.drain()
        assert (result.stored, result.folded, result.left) == (0, 1, 0)
        assert Lead.objects.count() == 1
        assert len(mail.outbox) == 1
        assert stream_length(stream) == 0

    def test_requests_are_stored_in_the_order_received_and_held_past_the_limit(self, settings):
        settings.LEADS_RATE_LIMIT = (2, 600)
        start = timezone.now() - timedelta(minutes=10)
        for n in range(3):
            spool.keep(
                a_submission(
                    email=f"p{n}@example.com",
                    phone=f"+44121496098{n}",
                    received_at=(start + timedelta(seconds=n)).isoformat(),
                )
            )
        assert spool.drain().stored == 3
        flags = list(Lead.objects.order_by("created_at").values_list("email", "review_reasons"))
        assert flags == [
            ("p0@example.com", ""),
            ("p1@example.com", ""),
            ("p2@example.com", "busy_address"),
        ]
        assert len(mail.outbox) == 2

    def test_an_unreadable_record_is_left_for_an_operator_and_holds_up_nothing(
        self, spool_settings
    ):
        spool.keep(a_submission())
        (spool_settings / "20240101T000000000000Z-broken.json").write_text("{not json")
        result = spool.drain()
        assert (result.stored, result.failed, result.left) == (1, 1, 1)
        assert not result.worth_retrying
        assert Lead.objects.count() == 1
        assert [path.name for path in spool_files(spool_settings)] == [
            "20240101T000000000000Z-broken.json"
        ]

    def test_the_command_drains_and_reports(self, spool_settings, capsys):
        spool.keep(a_submission())
        call_command("drain_lead_spool", "--status")
        assert (
            "1 call-back requests waiting in the spool, the oldest for" in capsys.readouterr().out
        )
        call_command("drain_lead_spool")
        assert "Stored 1 leads; 0 requests were already stored; 0 left" in capsys.readouterr().out
        assert Lead.objects.count() == 1

    def test_readiness(self, settings, spool_settings):
        check = spool.readiness()
        assert check == {
            "name": "lead_spool",
            "ok": True,
            "detail": {
                "records": 0,
                "oldest_seconds": None,
                "stream": "off",
                "directory": "writable",
            },
        }
        spool.keep(a_submission())
        assert spool.readiness()["detail"]["records"] == 1
        spool_settings.parent.joinpath("a-file").write_text("")
        settings.LEADS_SPOOL_DIR = str(spool_settings.parent / "a-file" / "spool")
        settings.LEADS_SPOOL_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens
        check = spool.readiness()
        assert check["ok"] is False
        assert check["detail"]["stream"] == "unreachable"
        assert check["detail"]["directory"] == "not writable"

    def test_logs_name_requests_by_key_only(self, stream, caplog):
        caplog.set_level("DEBUG")
        submission = a_submission()
        spool.keep(submission)
        stream.kill()
        spool.drain()
        assert submission.key in caplog.text
        for secret in ["Zoë", "zoe@example.com", "4960982"]:
            assert secret not in caplog.text


@pytest.mark.django_db
def test_with_redis_down_a_busy_address_is_still_held(settings, client, home_html, private_redis):
    # The everyday limit is counted in the database, Redis or not.
    settings.CACHES = shared_cache_on(private_redis)
    private_redis.kill()
    settings.LEADS_RATE_LIMIT = (2, 600)
    for n in range(3):
        response = submit_from(client, home_html, email=f"p{n}@example.com", phone=f"0121496098{n}")
        assert response.status_code == 303
    flags = list(Lead.objects.order_by("pk").values_list("is_spam", "needs_review"))
    assert flags == [(False, False), (False, False), (False, True)]
    assert len(mail.outbox) == 2
    # The same person twice is still one lead (the database's duplicate check).
    submit_from(client, home_html, email="p0@example.com", phone="01214960980")
    assert Lead.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_store_each_request_once(settings, monkeypatch):
    settings.TASKS = DATABASE_TASKS
    submissions = [
        a_submission(email=f"p{n}@example.com", phone=f"+4412149609{n:02d}", ip_hmac=f"{n:064d}")
        for n in range(12)
    ]
    for submission in submissions:
        spool.keep(submission)
    # Both drains have read the whole spool before either stores anything.
    both_read = threading.Barrier(2, timeout=10)
    first_call = threading.local()
    real_store = spool.store

    def store_after_both_read(submission):
        if not getattr(first_call, "done", False):
            first_call.done = True
            both_read.wait()
        return real_store(submission)

    monkeypatch.setattr(spool, "store", store_after_both_read)
    results = []

    def drain():
        try:
            results.append(spool.drain())
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 2
    assert sum(result.stored for result in results) == 12
    assert sum(result.folded for result in results) == 12
    assert Lead.objects.count() == 12
    assert sorted(str(key) for key in Lead.objects.values_list("submission_key", flat=True)) == (
        sorted(submission.key for submission in submissions)
    )
    assert lead_tasks().count() == 12
    assert spool.spool_status().records == 0


@pytest.mark.django_db(transaction=True)
def test_a_process_stores_leftovers_it_finds_at_its_first_call_back_post(
    client, home_html, spool_settings
):
    # Kept by a process that then stopped (a deploy during the outage).
    spool.keep(a_submission(email="left@example.com", phone="+441214960999", ip_hmac="b" * 64))
    spool.stop_background_drain()
    assert submit_from(client, home_html).status_code == 303
    deadline = time.monotonic() + 15
    while Lead.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "zoe@example.com",
        "left@example.com",
    }
    spool.stop_background_drain()
    assert spool_files(spool_settings) == []
