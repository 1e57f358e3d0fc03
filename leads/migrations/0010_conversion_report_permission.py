"""The conversion report: `Editors` and `Lead managers` see the figures (views, requests,
conversion), which name no reader; seeing a lead still needs the leads desk's permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Editors", "Lead managers"]


def forwards(apps, schema_editor):
    # Permissions of new models are normally made after migrate; the groups need them now.
    leads_config = apps.get_app_config("leads")
    leads_config.models_module = True
    create_permissions(leads_config, apps=apps, verbosity=0)
    leads_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="leads",
        content_type__model="pageviewday",
        codename="view_pageviewday",
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def backwards(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="leads", codename="view_pageviewday"
            )
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0009_page_view_counts")]

    operations = [migrations.RunPython(forwards, backwards)]
