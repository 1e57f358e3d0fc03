"""A real Varnish in front of a test's server: deploy/varnish/site.vcl as shipped, with only
its backend address rewritten, run by Debian's varnishd on a free port.

Used by tests/home/test_edge_varnish.py and bench/edge.py.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fault_services import free_port, wait_for_port

VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
SITE_VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "site.vcl"


def have_varnishd():
    return Path(VARNISHD).exists()


def vcl_for_backend(host, port, vcl_text=None):
    """site.vcl with its backend pointed at host:port (the shipped file says 127.0.0.1:8000)."""
    text = SITE_VCL.read_text() if vcl_text is None else vcl_text
    backend = re.search(r"backend app \{.*?\n\}", text, re.S)
    assert backend, "site.vcl no longer has `backend app { ... }`"
    rewritten = re.sub(r'\.host = "[^"]*";', f'.host = "{host}";', backend.group(0))
    rewritten = re.sub(r'\.port = "[^"]*";', f'.port = "{port}";', rewritten)
    return text[: backend.start()] + rewritten + text[backend.end() :]


class Varnish:
    """varnishd in the foreground (-F), so the test owns the process and stops it; its working
    directory and compiled VCL live in a temporary directory; no jail, so it runs as whoever
    runs the tests."""

    def __init__(self, backend_host, backend_port, *, port=None, storage="malloc,64m"):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="test-varnish-"))
        self.vcl = self.dir / "site.vcl"
        self.vcl.write_text(vcl_for_backend(backend_host, backend_port))
        self.storage = storage
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log = self.dir / "varnishd.log"
        self.process = subprocess.Popen(
            [
                VARNISHD,
                "-F",
                "-j",
                "none",
                "-n",
                str(self.dir / "work"),
                "-a",
                f"127.0.0.1:{self.port}",
                "-f",
                str(self.vcl),
                "-s",
                self.storage,
                # The admin CLI on a free local port, behind the secret file in the working
                # directory: `varnishadm -n <dir>/work ban.list` when debugging.
                "-T",
                "127.0.0.1:0",
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(self.port, timeout=30)
        except TimeoutError:
            self.stop(keep_log=True)
            raise RuntimeError(f"varnishd did not start: {self.log.read_text()[-2000:]}") from None
        return self

    def stop(self, keep_log=False):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if not keep_log:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def varnish(live_server):
    """site.vcl in front of Django's live server, for a test module."""
    address = urlsplit(live_server.url)
    host = "127.0.0.1" if address.hostname == "localhost" else address.hostname
    server = Varnish(host, address.port).start()
    yield server
    server.stop()
