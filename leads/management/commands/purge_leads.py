from django.core.management.base import BaseCommand

from leads import conf
from leads.retention import purge, purge_queryset, retention_cutoff
from leads.tasks import purge_expired_leads


class Command(BaseCommand):
    help = (
        "Delete leads older than LEADS_RETENTION_DAYS. Dry run by default: shows what would "
        "go. --apply deletes; --schedule starts the daily background job instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Actually delete.")
        parser.add_argument(
            "--days", type=int, default=None, help="Override the retention period (days)."
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Enqueue the purge task, which then re-books itself daily (db_worker runs it).",
        )

    def handle(self, *args, apply=False, days=None, schedule=False, **options):
        if schedule:
            result = purge_expired_leads.enqueue()
            self.stdout.write(f"Purge task enqueued ({result.id}).")
            return
        days = conf.LEADS_RETENTION_DAYS if days is None else days
        cutoff = retention_cutoff(days)
        count = purge_queryset(days).count()
        if not apply:
            self.stdout.write(
                f"Dry run: {count} leads received before {cutoff:%Y-%m-%d %H:%M %Z} "
                f"(older than {days} days) would be deleted. Run with --apply to delete them."
            )
            return
        removed = purge(days)
        self.stdout.write(f"Deleted {removed} leads older than {days} days.")
