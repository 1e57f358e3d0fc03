"""The filters beside the leads list: late notices, owner, call-back form, source page and the
source page's breach type (status, date and the spam flag are plain field filters)."""

from django.apps import apps
from django.contrib.admin import SimpleListFilter
from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.models import Page

from leads.admin.ids import row_id
from leads.late_notices import late_q
from leads.models import CallBackForm, Lead


class NoticeFilter(SimpleListFilter):
    """Leads whose notice to the claims team is late: the worker is not sending."""

    title = "notice to the claims team"
    parameter_name = "notice"

    def lookups(self, request, model_admin):
        return [("late", "Notice late")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "late":
            return queryset.filter(late_q())
        return queryset if not value else queryset.none()


class OwnerFilter(SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        owners = get_user_model().objects.filter(
            pk__in=Lead.objects.exclude(owner=None).values("owner")
        )
        return [("none", "Nobody")] + [
            (str(user.pk), user.get_full_name() or user.get_username()) for user in owners
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(owner__isnull=True)
        if row_id(value):
            return queryset.filter(owner_id=row_id(value))
        return queryset if not value else queryset.none()


class FormFilter(SimpleListFilter):
    title = "call-back form"
    parameter_name = "form"

    def lookups(self, request, model_admin):
        return form_choices()

    def queryset(self, request, queryset):
        value = self.value()
        if row_id(value):
            return queryset.filter(form_id=row_id(value))
        return queryset if not value else queryset.none()


class SourcePageFilter(SimpleListFilter):
    title = "source page"
    parameter_name = "source_page"

    def lookups(self, request, model_admin):
        rows = (
            Lead.objects.exclude(source_page_title="")
            .values_list("source_page_id", "source_page_title")
            .distinct()
            .order_by("source_page_title")
        )
        return [(str(pk) if pk else f"t:{title}", title) for pk, title in rows[:200]]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.startswith("t:"):
            return queryset.filter(source_page__isnull=True, source_page_title=value[2:])
        if row_id(value):
            return queryset.filter(source_page_id=row_id(value))
        return queryset.none()


def _breach_type_relations():
    """(page model, field name, breach type model) for case-study pages, found in the app
    registry so the leads app never imports the breaches app."""
    if not apps.is_installed("breaches"):
        return []
    try:
        breach_type = apps.get_model("breaches", "BreachType")
    except LookupError:
        return []
    found = []
    for model in apps.get_app_config("breaches").get_models():
        if not issubclass(model, Page):
            continue
        for field in model._meta.get_fields():
            if field.many_to_many and field.related_model is breach_type and field.concrete:
                found.append((model, field.name, breach_type))
    return found


def breach_type_choices():
    """(id, name) of every breach type, for the list's and the call queue's filters."""
    relations = _breach_type_relations()
    if not relations:
        return []
    breach_type = relations[0][2]
    return [(str(item.pk), str(item)) for item in breach_type.objects.all()]


def with_breach_type(queryset, value):
    """The leads whose source page is tagged with the breach type numbered `value`."""
    value = row_id(value)
    if value is None:
        return queryset.none()
    page_ids = Q(pk__in=[])
    for model, field_name, _ in _breach_type_relations():
        page_ids |= Q(source_page_id__in=model.objects.filter(**{field_name: value}).values("pk"))
    return queryset.filter(page_ids)


def form_choices():
    """(id, name) of the call-back forms that have leads."""
    return [
        (str(form.pk), form.name)
        for form in CallBackForm.objects.filter(pk__in=Lead.objects.values("form"))
    ]


class BreachTypeFilter(SimpleListFilter):
    title = "breach type of the source page"
    parameter_name = "breach_type"

    def lookups(self, request, model_admin):
        return breach_type_choices()

    def queryset(self, request, queryset):
        value = self.value()
        return with_breach_type(queryset, value) if value else queryset
