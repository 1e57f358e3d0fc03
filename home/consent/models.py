"""The consent models: each cookie's duration, the cookie list behind each consent version,
and the record of every decision. App label `home` (their tables and migrations stay there);
home/models.py imports them (from home.consent), which is how Django registers them with the
app.
"""

import uuid

from django.db import models


class CookieDetail(models.Model):
    """How long a cookie lasts, which django-cookie-consent's own Cookie model does not record.

    Shown on the /cookies/ page and part of the group's consent version, so changing it asks
    visitors again.
    """

    cookie = models.OneToOneField(
        "cookie_consent.Cookie",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="detail",
    )
    duration = models.CharField(
        max_length=100,
        blank=True,
        help_text="How long the cookie lasts, in plain words, e.g. '1 year' or 'Until you close "
        "your browser'.",
    )

    class Meta:
        verbose_name = "cookie detail"

    def __str__(self):
        return f"{self.cookie_id}: {self.duration}"


class ConsentVersion(models.Model):
    """The exact cookie list a consent version stood for, so a logged consent can be explained.

    A group's version is a fingerprint of its cookies; this keeps the list behind each one.
    """

    varname = models.CharField(max_length=32, help_text="The cookie group's variable name.")
    version = models.CharField(max_length=32, help_text="Fingerprint of the group's cookie list.")
    cookies = models.JSONField(
        default=list, help_text="The cookies (name, purpose, duration) in this version."
    )
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "consent version"
        constraints = [
            models.UniqueConstraint(fields=["varname", "version"], name="unique_consent_version")
        ]

    def __str__(self):
        return f"{self.varname} {self.version}"


class ConsentRecord(models.Model):
    """One cookie decision by one browser: what it accepted and declined, in which versions, when.

    The consent id is a random value kept in the visitor's consent cookie; nothing here
    identifies a person (no IP address, user agent or account). Pruned by
    `manage.py prune_consent_log` after COOKIE_CONSENT_LOG_RETENTION_DAYS.
    """

    consent_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    accepted = models.JSONField(
        default=dict, help_text="Groups accepted, each with the version accepted."
    )
    declined = models.JSONField(default=list, help_text="Groups declined.")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "consent record"
        ordering = ["-created"]

    def __str__(self):
        return f"{self.consent_id} at {self.created:%Y-%m-%d %H:%M}"
