"""Staff groups for the leads desk: `Lead managers` may view, work and export leads;
`Editors` (Wagtail's own group) get no lead permission at all."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEAD_MANAGER_PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin"),
    ("leads", "lead", "view_lead"),
    ("leads", "lead", "change_lead"),
    ("leads", "lead", "export_lead"),
    ("leads", "leadnote", "view_leadnote"),
    ("leads", "leadnote", "add_leadnote"),
]


def forwards(apps, schema_editor):
    # Permissions of new models are normally made after migrate; the group needs them now.
    leads_config = apps.get_app_config("leads")
    leads_config.models_module = True
    create_permissions(leads_config, apps=apps, verbosity=0)
    leads_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name="Lead managers")
    for app_label, model, codename in LEAD_MANAGER_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, content_type__model=model, codename=codename
        ).first()
        if permission:
            managers.permissions.add(permission)

    editors = Group.objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="leads",
                content_type__model__in=["lead", "leadnote", "deskevent"],
            )
        )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Lead managers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_callback_leads"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0002_initial_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
