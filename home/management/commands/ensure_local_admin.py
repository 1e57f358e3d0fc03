import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

PASSWORD_FILE = Path(settings.BASE_DIR) / ".local-admin-password"


class Command(BaseCommand):
    help = (
        "For local development only: create a superuser 'admin' with a random password kept in "
        ".local-admin-password (git-ignored), and print how to log in."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="Where the site is served."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_local_admin is for local development (DEBUG=True) only.")
        user_model = get_user_model()
        user = user_model.objects.filter(username="admin").first()
        password = PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.exists() else ""
        if user is None or not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            if user is None:
                user = user_model.objects.create_superuser("admin", "admin@localhost", password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            PASSWORD_FILE.write_text(password + "\n")
            PASSWORD_FILE.chmod(0o600)
        self.stdout.write(
            f"\nLog in to the admin at {options['url'].rstrip('/')}/admin/\n"
            f"  username: admin\n  password: {password}\n"
            "(kept in .local-admin-password; delete that file to get a new one)\n"
            "Then set up the second factor the admin asks for: scan its QR code with an\n"
            "authenticator app. To start that over: python manage.py reset_second_factor admin\n"
        )
