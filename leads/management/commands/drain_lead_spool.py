from django.core.management.base import BaseCommand, CommandError

from leads.spool import drain, spool_status


class Command(BaseCommand):
    help = (
        "Store every call-back request kept in the lead spool (this server's directory and the "
        "shared Redis stream) as a lead, exactly once. --status only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--status", action="store_true", help="Show how many wait and for how long; store none."
        )

    def handle(self, *args, status=False, **options):
        if status:
            records, oldest = spool_status()
            age = "" if oldest is None else f", the oldest for {oldest:.0f} s"
            self.stdout.write(f"{records} call-back requests waiting in the spool{age}.")
            return
        result = drain()
        self.stdout.write(
            f"Stored {result.stored} leads; {result.folded} requests were already stored; "
            f"{result.left} left in the spool."
        )
        if result.stream_unreachable:
            self.stderr.write("The spool's Redis stream could not be reached; it was not drained.")
        if result.database_unreachable:
            raise CommandError("The database could not be reached; run this again once it is.")
        if result.failed:
            raise CommandError(
                f"{result.failed} kept requests could not be stored; the log names them by key."
            )
