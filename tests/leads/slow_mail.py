"""Django's file-based mail backend, taking TEST_MAIL_DELAY seconds before each message is
written, as a slow mail server would: long enough for a test to kill the worker mid-send."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0")))
        return super().send_messages(email_messages)
