"""The call queue (each lead's slot and due time, call attempts, the unreachable status),
and three defects of the desk (issue 18):

- export events kept the desk's search term (a name, an email) in their detail and in the
  audit log; they keep only whether a search was used, and which filters;
- Editors could not edit the call-back form's wording: they get its snippet permissions
  (recipients stay superuser-only through the panel);
- the phone help text's example is one the form accepts.

Open leads stored before the queue are given their slot and due time, and marked as already
told about, so the first escalation sweep does not announce the whole backlog.
"""

import re

import django.db.models.deletion
import django.utils.timezone

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# The rule itself (working hours, slots, bank holidays) comes from leads.hours: it depends on
# settings, not on the shape of the tables.
from leads.hours import next_due


# A copy of leads.audit's rule as it stood when this migration was written.
EXPORT_FILTERS = ("status", "notice", "owner", "created_at", "source_page", "form",
                  "breach_type", "is_spam", "o")
SAFE_VALUE = re.compile(
    r"\d{1,9}|\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2})?)?|-?\d{1,2}(\.-?\d{1,2})*"
)
KNOWN_WORDS = {"new", "contacted", "qualified", "not_qualified", "unreachable", "closed",
               "late", "none", "true", "false", "True", "False"}


def scrub(detail):
    params = detail.get("filters") or {}
    filters = {}
    searched = bool(detail.get("search"))
    for key, values in params.items():
        values = [str(value) for value in (values if isinstance(values, list) else [values])]
        if key == "q":
            searched = searched or any(value.strip() for value in values)
        elif key.split("__", 1)[0] in EXPORT_FILTERS:
            filters[key] = [
                value if value in KNOWN_WORDS or SAFE_VALUE.fullmatch(value) else "(other)"
                for value in values
            ]
    kept = {key: value for key, value in detail.items() if key not in ("filters", "search")}
    return {**kept, "filters": filters, "search": searched}


def scrub_export_events(apps, schema_editor):
    DeskEvent = apps.get_model("leads", "DeskEvent")
    ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
    for event in DeskEvent.objects.filter(kind="export"):
        event.detail = scrub(event.detail or {})
        event.save(update_fields=["detail"])
    for entry in ModelLogEntry.objects.filter(action="leads.export"):
        if isinstance(entry.data, dict) and "filters" in entry.data:
            entry.data = scrub(entry.data)
            entry.save(update_fields=["data"])


CALLBACKFORM_CODENAMES = ["add_callbackform", "change_callbackform", "view_callbackform"]


def editors_edit_forms(apps, schema_editor):
    leads_config = apps.get_app_config("leads")
    leads_config.models_module = True
    create_permissions(leads_config, apps=apps, verbosity=0)
    leads_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leads", codename__in=CALLBACKFORM_CODENAMES
        )
    )


def editors_edit_no_forms(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="leads", codename__in=CALLBACKFORM_CODENAMES
            )
        )


def fill_due_times(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    batch = []
    for lead in Lead.objects.filter(slot_at__isnull=True).only(
        "pk", "created_at", "callback_time"
    ).iterator(chunk_size=2000):
        lead.slot_at = next_due(lead.created_at, lead.callback_time)
        lead.due_at = lead.slot_at
        lead.escalated_due_at = lead.slot_at
        batch.append(lead)
        if len(batch) >= 2000:
            Lead.objects.bulk_update(batch, ["slot_at", "due_at", "escalated_due_at"])
            batch = []
    if batch:
        Lead.objects.bulk_update(batch, ["slot_at", "due_at", "escalated_due_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0008_lead_client_recent_index'),
        ('wagtailcore', '0098_apitoken'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CallAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('outcome', models.CharField(choices=[('no_answer', 'No answer'), ('voicemail', 'Left a voicemail'), ('call_back', 'Call back later'), ('qualified', 'Spoke — qualified'), ('not_eligible', 'Spoke — not eligible'), ('wrong_number', 'Wrong number')], max_length=20)),
                ('note', models.TextField(blank=True, max_length=2000)),
                ('callback_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.AddField(
            model_name='lead',
            name='due_at',
            field=models.DateTimeField(blank=True, help_text='When the lead is next due to be called.', null=True),
        ),
        migrations.AddField(
            model_name='lead',
            name='escalated_due_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='lead',
            name='first_attempt_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='lead',
            name='first_conversation_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='lead',
            name='last_attempt_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='lead',
            name='slot_at',
            field=models.DateTimeField(blank=True, help_text="When the reader's chosen time slot first opened after the request.", null=True),
        ),
        migrations.AlterField(
            model_name='lead',
            name='phone',
            field=models.CharField(help_text='E.164, e.g. +447123456789.', max_length=20),
        ),
        migrations.AlterField(
            model_name='lead',
            name='status',
            field=models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('qualified', 'Qualified'), ('not_qualified', 'Not qualified'), ('unreachable', 'Unreachable'), ('closed', 'Closed')], db_index=True, default='new', max_length=20),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('is_spam', False), ('status__in', ['new', 'contacted'])), fields=['due_at'], name='leads_lead_queue'),
        ),
        migrations.AddField(
            model_name='callattempt',
            name='lead',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempts', to='leads.lead'),
        ),
        migrations.AddField(
            model_name='callattempt',
            name='user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(scrub_export_events, migrations.RunPython.noop),
        migrations.RunPython(editors_edit_forms, editors_edit_no_forms),
        migrations.RunPython(fill_due_times, migrations.RunPython.noop),
    ]
