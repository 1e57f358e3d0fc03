"""Editors manage breach types: give the group the snippet permissions.

Editors already create and publish pages through Wagtail's own page permissions on the
tree; they get nothing in the leads app."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["add_breachtype", "change_breachtype", "delete_breachtype", "view_breachtype"]


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations run; make ours now.
    app_config = apps.get_app_config("breaches")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="breaches", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="breaches", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("breaches", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
