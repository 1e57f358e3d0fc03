"""A stand-in for the claims system: a real HTTP server on a free local port, in a thread,
that checks every request's Standard Webhooks signature and answers from a script.

Like a well-behaved receiver it keeps the webhook-ids it has taken: a request with an id it
already took is answered 200 and not taken again. `accepted` is what the claims system
would have stored; `requests` is everything that reached it."""

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fault_services import free_port


def verify_by_hand(secret, headers, body):
    """What docs/handoff.md tells a receiver to do with a plain (not whsec_) secret."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    if abs(time.time() - int(headers["webhook-timestamp"])) > 300:
        return False
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


def verify_with_the_standard_library(secret, headers, body):
    """The Standard Webhooks project's own Python library (a whsec_ secret)."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class Receiver:
    def __init__(self, secret, answers=(200,), hold_first=0.0):
        self.secret = secret
        self.answers = list(answers)  # the status for each request in turn; the last repeats
        self.hold_first = hold_first  # seconds the first request waits for its answer
        self.requests = []
        self.accepted = {}
        self.lock = threading.Lock()
        self.first_arrived = threading.Event()
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/leads"

    def verify(self, headers, body):
        if self.secret.startswith("whsec_"):
            return verify_with_the_standard_library(self.secret, headers, body)
        return verify_by_hand(self.secret, headers, body)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def ids(self):
        return [request["headers"].get("webhook-id") for request in self.requests]

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                verified = receiver.verify(headers, body)
                with receiver.lock:
                    number = len(receiver.requests)
                    answer = receiver.answers[min(number, len(receiver.answers) - 1)]
                    if not verified:
                        answer = 401
                    receiver.requests.append(
                        {"headers": headers, "body": body, "verified": verified, "answer": answer}
                    )
                    msg_id = headers.get("webhook-id")
                    if 200 <= answer < 300 and msg_id not in receiver.accepted:
                        receiver.accepted[msg_id] = json.loads(body)
                receiver.first_arrived.set()
                if number == 0 and receiver.hold_first:
                    time.sleep(receiver.hold_first)
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

            def handle(self):
                # The sender may be killed mid-request: a broken pipe is the test's doing.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

        return Handler
