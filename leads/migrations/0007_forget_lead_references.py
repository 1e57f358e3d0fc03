"""Removes what Wagtail's reference index recorded for leads, their notes and desk events
before those models were left out of it (leads are not "uses" of a page or form)."""

from django.db import migrations


def forget(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    types = ContentType.objects.filter(app_label="leads", model__in=["lead", "leadnote", "deskevent"])
    ReferenceIndex.objects.filter(content_type__in=types).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0006_lead_phone_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
