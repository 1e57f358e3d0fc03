from datetime import timedelta

from cookie_consent.models import LogItem
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from home.consent import ConsentRecord


class Command(BaseCommand):
    help = (
        "Delete cookie consent records older than COOKIE_CONSENT_LOG_RETENTION_DAYS. "
        "Run daily (cron or the task scheduler)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of COOKIE_CONSENT_LOG_RETENTION_DAYS.",
        )

    def handle(self, *args, days=None, **options):
        days = settings.COOKIE_CONSENT_LOG_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("Refusing to keep less than one day of consent records.")
        cutoff = timezone.now() - timedelta(days=days)
        records, _ = ConsentRecord.objects.filter(created__lt=cutoff).delete()
        # The library's own log is off (COOKIE_CONSENT_LOG_ENABLED) but may hold older rows.
        library, _ = LogItem.objects.filter(created__lt=cutoff).delete()
        self.stdout.write(
            f"Deleted {records} consent records and {library} library log items "
            f"older than {days} days."
        )
