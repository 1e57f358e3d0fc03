"""Editors keep the cookie groups' and cookies' wording (names, descriptions, durations):
give the group view and change on both. Which groups are required, their codes and each
cookie's name, domain and path stay with superusers (the panels say so)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_cookiegroup", "change_cookiegroup", "view_cookie", "change_cookie"]


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations run; make the library's now.
    app_config = apps.get_app_config("cookie_consent")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="cookie_consent", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="cookie_consent", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0005_missed_purge"),
        ("cookie_consent", "0003_alter_cookiegroup_varname"),
        ("wagtailcore", "0002_initial_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
