"""Real services that a test can break: a private redis-server it starts, kills, freezes and
restarts, and a TCP proxy in front of PostgreSQL (or anything else) that it cuts and restores.

No mock of a failure: the code under test meets a refused connection, a connection dropped
mid-request, a server that accepts and never answers, or a Redis that came back empty, exactly
as it would in production.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from django.db import connection

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=10.0, *, open_=True):
    """Until something listens on the port (or, with open_=False, nothing does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            listening = sock.connect_ex(("127.0.0.1", port)) == 0
        if listening == open_:
            return
        time.sleep(0.02)
    raise TimeoutError(f"port {port} still {'closed' if open_ else 'open'} after {timeout}s")


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk.

    kill() is a crash (SIGKILL: connections reset, data gone); start() again brings it back
    empty on the same port; freeze() stops the process (SIGSTOP), so connections are accepted
    by the kernel and never answered, as with a Redis stuck on a slow command; thaw() resumes.
    """

    def __init__(self, port=None):
        self.port = port or free_port()
        self.process = None
        self.dir = tempfile.mkdtemp(prefix="test-redis-")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
        wait_for_port(self.port, open_=False)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        if self.process is not None:
            # Resume a frozen server first, so its connections close as it dies.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class TcpProxy:
    """Forwards 127.0.0.1:port to a target address until cut.

    cut(): the listener closes (new connections are refused) and every open connection is
    dropped, as when a database restarts or fails over. stall(): connections are accepted
    and never answered, as with a black-holed network. restore(): forwarding again, on the
    same port.
    """

    def __init__(self, target_host, target_port, port=None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.mode = "cut"
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def restore(self):
        self._close_all()
        self.mode = "forward"
        self._listen()
        return self

    def stall(self):
        self._close_all()
        self.mode = "stall"
        self._listen()

    def cut(self):
        self.mode = "cut"
        self._close_all()
        wait_for_port(self.port, open_=False)

    def _listen(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(self.address)
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            with self._lock:
                self._sockets.add(client)
            if self.mode != "forward":
                continue  # stalled: held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._drop(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.add(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(source)
        self._drop(sink)

    def _drop(self, sock):
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _close_all(self):
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not, and
            # the port would stay bound.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._drop(sock)


@pytest.fixture
def private_redis():
    """A redis-server of this test's own; stopped and removed afterwards."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def postgres_proxy():
    """A TCP proxy to the PostgreSQL this run uses, forwarding until the test cuts it."""
    proxy = TcpProxy("127.0.0.1", 5432).restore()
    yield proxy
    proxy.cut()


@pytest.fixture
def database_through_proxy(postgres_proxy):
    """Django's connections to PostgreSQL go through `postgres_proxy` for the rest of the
    test, so it can cut them. The settings dict is shared by every thread's connection, so
    threads the code starts go through the proxy too."""
    settings_dict = connection.settings_dict
    original = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(postgres_proxy.port)
    try:
        yield postgres_proxy
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = original


# How long the fail-soft backend waits before trying a dead Redis again, in `redis_cache`.
REDIS_RETRY_SECONDS = 0.3


@pytest.fixture
def redis_cache(settings, private_redis):
    """The production cache configuration (home/page_cache/backend.py, cms/settings/base.py)
    pointed at this test's own redis-server, which the test may kill, freeze or restart; the
    backend retries a dead Redis after REDIS_RETRY_SECONDS."""
    # Imported here: bench/ imports this module without Django set up.
    from home.page_cache.backend import forget_breakers

    forget_breakers()
    settings.CACHES = {
        "default": {
            "BACKEND": "home.page_cache.backend.FailSoftRedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": "test",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
        }
    }
    settings.PAGE_CACHE_REDIS_RETRY_SECONDS = REDIS_RETRY_SECONDS
    yield private_redis
    forget_breakers()
