"""Works out the dialled form of every phone number stored before capture did it (0004), so
exports, PostgreSQL's COPY among them, can read it from the row."""

from django.db import migrations


def fill_phone_dialled(apps, schema_editor):
    from leads.phones import dialled

    Lead = apps.get_model("leads", "Lead")
    # Read first, then written in batches: SQLite cannot go on reading a table being updated.
    blank = list(Lead.objects.filter(phone_dialled="").values_list("pk", "phone"))
    for start in range(0, len(blank), 2000):
        batch = [Lead(pk=pk, phone_dialled=dialled(phone)) for pk, phone in blank[start : start + 2000]]
        Lead.objects.bulk_update(batch, ["phone_dialled"])

class Migration(migrations.Migration):
    dependencies = [("leads", "0004_lead_phone_dialled")]

    operations = [migrations.RunPython(fill_phone_dialled, migrations.RunPython.noop)]
