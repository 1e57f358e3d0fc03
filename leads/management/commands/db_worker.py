"""`manage.py db_worker`: django-tasks-db's worker, unchanged, after booking the sweep that
runs again the lead notifications whose worker died mid-job (leads/stalled.py), the one
that tells the lead managers about overdue calls, and the fold of counted page views
(leads/conversion/tasks.py).

Django takes a command from the first installed app that has it; leads comes before
django_tasks_db, so every worker started the documented way books the sweep. The sweep then
books its own next run; booking it here as well means a worker killed during the sweep itself
does not end the chain."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from leads.conversion import book_fold
from leads.tasks import book_escalation, book_recovery


class Command(DatabaseWorkerCommand):
    help = DatabaseWorkerCommand.help + (
        " (and book the stalled-notification and escalation sweeps and the fold)"
    )

    def handle(self, *args, **options):
        book_recovery()
        book_escalation()
        book_fold()
        return super().handle(*args, **options)
