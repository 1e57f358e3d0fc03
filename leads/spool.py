"""Keeping call-back requests that arrive while the database is unreachable, until it is back.

A request that cannot be stored (`django.db.OperationalError` / `InterfaceError`) is written,
as its JSON `Submission`, to every store that answers:

- a Redis stream (`LEADS_SPOOL_STREAM` on `LEADS_SPOOL_REDIS_URL`, by default the cache's
  `REDIS_URL`), shared by every app server, so any of them can store it;
- this server's own directory (`LEADS_SPOOL_DIR`): one file per request, written under a
  temporary name, fsync'd, renamed and the directory fsync'd, owner-only (0600 in 0700), so
  it survives a crash of this process, of Redis, or of the machine.

The reader is told the request was received when at least one write succeeded. `drain`
stores every kept request as a normal lead through `leads.capture.store` and removes it from
a store only once its lead has committed. Leads carry the request's submission key, which is
unique, so a request found in both stores, found again after a crash between commit and
removal, or drained by two processes at once becomes one lead with one notification.

Draining runs in a daemon thread of the web process (started when a request is kept, and
when a process first sees leftovers: `wake`), and as `manage.py drain_lead_spool`.
docs/data-protection.md says what is held, where and for how long. Logs name requests by
their random submission key only.
"""

import contextlib
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

from leads import conf
from leads.capture import Submission, store
from leads.redis_clients import client_for

logger = logging.getLogger(__name__)

# The errors that mean "the database cannot be reached", as opposed to a bad record.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)

# A reader waits on these while the database is down: fail fast, once, and move on to the file.
_REDIS_CONNECT_TIMEOUT = 0.5
_REDIS_SOCKET_TIMEOUT = 1.0
# How often one process looks for leftovers on its own (at most), after a call-back POST or a
# readiness check.
_WAKE_INTERVAL_SECONDS = 60
_READ_BATCH = 200


class SpoolStatus(NamedTuple):
    """How many requests are waiting, and how long the oldest has waited (None: none)."""

    records: int
    oldest_seconds: float | None


@dataclass
class DrainResult:
    """What one pass over the spool did: leads stored, requests found already stored, records
    that failed for another reason than the database (left in place and logged), records
    still spooled afterwards, and which store could not be reached."""

    stored: int = 0
    folded: int = 0
    failed: int = 0
    left: int = 0
    database_unreachable: bool = False
    stream_unreachable: bool = False

    @property
    def worth_retrying(self):
        return self.database_unreachable or self.left > self.failed


# -- Keeping ------------------------------------------------------------------------------


def store_or_keep(submission, *, refuse_flood=False):
    """Stores the submission as a lead; when the database is unreachable, keeps it instead.

    Returns the CaptureResult, or None when the request was kept in the spool. Re-raises the
    database's error when no store could keep it either. `refuse_flood` as for `store`: a
    request kept in the spool is stored later whatever the limits say.
    """
    try:
        return store(submission, refuse_flood=refuse_flood)
    except DATABASE_UNREACHABLE:
        if not keep(submission):
            raise
        return None


def keep(submission):
    """Writes the submission to every reachable store; True when at least one has it."""
    text = submission.to_json()
    kept = [
        name
        for name, write in (("file", _write_file), ("stream", _write_stream))
        if write(submission, text)
    ]
    if not kept:
        logger.error("Call-back request %s could not be kept anywhere", submission.key)
        return False
    logger.warning(
        "Database unreachable: call-back request %s kept in the spool (%s)",
        submission.key,
        ", ".join(kept),
    )
    _start_drainer(delay=conf.LEADS_SPOOL_RETRY_SECONDS)
    return True


def spool_dir():
    path = Path(conf.LEADS_SPOOL_DIR)
    return path if path.is_absolute() else Path(settings.BASE_DIR) / path


def _file_name(submission):
    # Sorts by time received; the key makes it unique and says which request it holds.
    return f"{submission.received.strftime('%Y%m%dT%H%M%S%fZ')}-{submission.key}.json"


def _write_file(submission, text):
    directory = spool_dir()
    temporary = None
    try:
        _owner_only_directory(directory)
        final = directory / _file_name(submission)
        temporary = directory / f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, final)
        temporary = None
        # The rename is durable only once the directory entry is on disk too.
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True
    except OSError as exc:
        logger.error("Lead spool directory not writable (%s)", type(exc).__name__)
        return False
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _owner_only_directory(directory):
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(directory.stat().st_mode) != 0o700:
        os.chmod(directory, 0o700)


def _redis():
    """The spool's Redis client, or None when no stream is configured."""
    return client_for(conf.LEADS_SPOOL_REDIS_URL, _REDIS_CONNECT_TIMEOUT, _REDIS_SOCKET_TIMEOUT)


def _write_stream(submission, text):
    client = _redis()
    if client is None:
        return False
    try:
        client.xadd(
            conf.LEADS_SPOOL_STREAM,
            {"key": submission.key, "received_at": submission.received_at, "record": text},
        )
        return True
    except redis.RedisError as exc:
        logger.error("Lead spool stream not writable (%s)", type(exc).__name__)
        return False


# -- Reading ------------------------------------------------------------------------------


def _stream_entries(client):
    """(entry id, fields) of every entry in the stream, oldest first."""
    start = "-"
    while True:
        batch = client.xrange(conf.LEADS_SPOOL_STREAM, min=start, max="+", count=_READ_BATCH)
        yield from batch
        if len(batch) < _READ_BATCH:
            return
        start = b"(" + batch[-1][0]


def _spool_files():
    directory = spool_dir()
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.json"))


def _received_from_name(path):
    """The time (epoch seconds) a spool file's request was received, from its name."""
    stamp = path.name.split("-", 1)[0]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _pending(result):
    """Every kept request by key: its Submission (None if unreadable) and where it is kept."""
    pending = {}
    client = _redis()
    if client is not None:
        try:
            for entry_id, fields in _stream_entries(client):
                key = fields.get(b"key", b"").decode()
                submission = _parse(fields.get(b"record", b"").decode(), f"stream {entry_id}")
                _add(pending, key or f"stream:{entry_id}", submission, ("stream", entry_id))
        except redis.RedisError:
            result.stream_unreachable = True
    for path in _spool_files():
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue  # another drain has just stored and removed it
        submission = _parse(text, f"file {path.name}")
        _add(pending, submission.key if submission else path.name, submission, ("file", path))
    return pending


def _parse(text, where):
    try:
        return Submission.from_json(text)
    except (ValueError, KeyError, TypeError):
        logger.error("Lead spool: unreadable record in %s left in place", where)
        return None


def _add(pending, key, submission, place):
    entry = pending.setdefault(key, [submission, []])
    entry[0] = entry[0] or submission
    entry[1].append(place)


# -- Draining -----------------------------------------------------------------------------


def drain():
    """Stores every kept request as a lead, oldest first, and removes each once stored."""
    result = DrainResult()
    pending = _pending(result)
    ordered = sorted(pending.items(), key=lambda item: item[1][0].received_at if item[1][0] else "")
    for key, (submission, places) in ordered:
        if submission is None:
            result.failed += 1
            result.left += 1
            continue
        if result.database_unreachable:
            result.left += 1
            continue
        try:
            outcome = store(submission)
        except DATABASE_UNREACHABLE:
            result.database_unreachable = True
            result.left += 1
            continue
        except Exception as exc:
            # A bad record must not hold up the others; it stays for an operator.
            logger.error("Lead spool: request %s could not be stored (%s)", key, type(exc).__name__)
            result.failed += 1
            result.left += 1
            continue
        if outcome.created:
            result.stored += 1
        else:
            result.folded += 1
        if not _remove(places):
            result.left += 1
    if result.stored or result.folded:
        logger.info(
            "Lead spool: %s leads stored, %s requests already stored, %s left",
            result.stored,
            result.folded,
            result.left,
        )
    return result


def _remove(places):
    """Removes a stored request from where it was kept; False if some store kept it."""
    removed = True
    for kind, where in places:
        if kind == "file":
            try:
                os.unlink(where)
            except FileNotFoundError:
                pass  # another drain removed it first
            except OSError:
                removed = False
        else:
            try:
                _redis().xdel(conf.LEADS_SPOOL_STREAM, where)
            except redis.RedisError:
                removed = False  # folded into its lead by the next drain
    return removed


# -- Status -------------------------------------------------------------------------------


def _inspect():
    """(SpoolStatus, stream state, directory state) without touching the database."""
    now = time.time()
    received = {}
    stream = "off"
    client = _redis()
    if client is not None:
        try:
            for entry_id, fields in _stream_entries(client):
                key = fields.get(b"key", b"").decode() or entry_id.decode()
                # A stream entry's id begins with the time Redis added it, in milliseconds.
                added = int(entry_id.split(b"-")[0]) / 1000
                received[key] = min(received.get(key, added), added)
            stream = "ok"
        except redis.RedisError:
            stream = "unreachable"
    for path in _spool_files():
        key = path.name.split("-", 1)[-1].removesuffix(".json")
        when = _received_from_name(path) or now
        received[key] = min(received.get(key, when), when)
    status = SpoolStatus(
        records=len(received),
        oldest_seconds=round(max(0.0, now - min(received.values())), 1) if received else None,
    )
    directory = spool_dir()
    try:
        _owner_only_directory(directory)
        writable = os.access(directory, os.W_OK | os.X_OK)
    except OSError:
        writable = False
    return status, stream, "writable" if writable else "not writable"


def spool_status():
    """How many call-back requests wait in this server's spool and the shared stream, and the
    age in seconds of the oldest (None when none waits)."""
    return _inspect()[0]


def readiness():
    """The spool as a readiness check: ok while a request could be kept if the database went
    away (the directory is writable or the stream answers). Waiting requests are reported,
    and a process that sees them starts draining."""
    status, stream, directory = _inspect()
    if status.records:
        wake()
    return {
        "name": "lead_spool",
        "ok": directory == "writable" or stream == "ok",
        "detail": {
            "records": status.records,
            "oldest_seconds": status.oldest_seconds,
            "stream": stream,
            "directory": directory,
        },
    }


# -- The web process's drainer ------------------------------------------------------------

_lock = threading.Lock()
_thread = None
_stop = threading.Event()
_last_wake = None


def wake():
    """Drains in the background if this process has not looked for leftovers lately."""
    global _last_wake
    now = time.monotonic()
    if _last_wake is not None and now - _last_wake < _WAKE_INTERVAL_SECONDS:
        return
    _last_wake = now
    _start_drainer(delay=0)


def _start_drainer(delay):
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(
            target=_drain_until_empty, args=(delay,), name="lead-spool-drain", daemon=True
        )
        _thread.start()


def _drain_until_empty(delay):
    """Every LEADS_SPOOL_RETRY_SECONDS, a drain, until nothing is left that a retry could store."""
    while not _stop.wait(delay):
        try:
            result = drain()
        except Exception:
            logger.exception("Lead spool: drain failed")
            return
        finally:
            # This thread's own connections: never left open, broken or not, between passes.
            connections.close_all()
        if not result.worth_retrying:
            return
        delay = conf.LEADS_SPOOL_RETRY_SECONDS


def stop_background_drain(timeout=10):
    """Stops this process's drainer thread and waits for it (a clean shutdown; tests)."""
    global _last_wake
    with _lock:
        thread = _thread
    _stop.set()
    if thread is not None:
        thread.join(timeout)
    _stop.clear()
    _last_wake = None
