"""The cookie consent settings in the Wagtail admin (not Django's admin, which this site lacks).

Editors keep the cookie groups and each cookie's purpose and duration here; every change
gives the group a new consent version, so visitors who accepted the old list are asked again.
The consent record is read-only: it is evidence, not content. Registered by
home/wagtail_hooks.py.
"""

import uuid

from cookie_consent.models import Cookie, CookieGroup
from django import forms
from django.contrib.admin import SimpleListFilter
from django.db.models import Count
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail_modeladmin.helpers import DjangoORMSearchHandler, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup

from home.consent import groups
from home.consent.models import ConsentRecord, CookieDetail


class CookieForm(WagtailAdminModelForm):
    """The library's Cookie plus our duration, edited as one form."""

    duration = forms.CharField(
        max_length=100,
        required=False,
        help_text="How long the cookie lasts, in plain words, e.g. '1 year' or '30 minutes'.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        detail = CookieDetail.objects.filter(cookie_id=self.instance.pk).first()
        if detail:
            self.fields["duration"].initial = detail.duration

    def save(self, commit=True):
        cookie = super().save(commit=commit)
        if commit:
            CookieDetail.objects.update_or_create(
                cookie=cookie, defaults={"duration": self.cleaned_data.get("duration", "")}
            )
        return cookie


class CookieGroupFilter(SimpleListFilter):
    """Filter cookies by group without Django's admin site, which this project does not install
    (the related-field filter looks it up)."""

    title = "cookie group"
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return [(group.varname, group.name) for group in groups.all_groups()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(cookiegroup__varname=self.value())
        return queryset


class CookieGroupAdmin(ModelAdmin):
    model = CookieGroup
    menu_label = "Cookie groups"
    menu_icon = "folder-open-inverse"
    list_display = ("name", "varname", "is_required", "cookie_count", "consent_version")
    list_filter = ("is_required",)
    search_fields = ("name", "varname")
    ordering = ("ordering", "pk")
    panels = [
        FieldPanel("name", help_text="What visitors see, e.g. 'Analytics cookies'."),
        # Editors keep the wording; what the consent cookie and scripts rely on (the code,
        # whether visitors may refuse, whether refused cookies are deleted) is for superusers.
        FieldPanel(
            "varname",
            help_text="A short code used in the consent cookie and in scripts, e.g. 'analytics'.",
            permission="superuser",
        ),
        FieldPanel("description", help_text="Why the site uses these cookies, in plain words."),
        FieldPanel(
            "is_required",
            help_text="Only for cookies the site cannot work without. Visitors cannot refuse them.",
            permission="superuser",
        ),
        FieldPanel(
            "is_deletable",
            help_text="Delete these cookies from a visitor's browser when they refuse the group.",
            permission="superuser",
        ),
        FieldPanel("ordering", help_text="Lower numbers are listed first."),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_cookies=Count("cookie"))

    def cookie_count(self, obj):
        return obj.num_cookies

    cookie_count.short_description = "Cookies"

    def consent_version(self, obj):
        versions = {group.varname: group.version for group in groups.all_groups()}
        return versions.get(obj.varname, "")

    consent_version.short_description = "Consent version"


class CookieAdmin(ModelAdmin):
    model = Cookie
    menu_label = "Cookies"
    menu_icon = "list-ul"
    list_display = ("name", "cookiegroup", "duration", "domain", "path")
    list_filter = (CookieGroupFilter,)
    search_fields = ("name", "description", "domain")
    edit_handler = ObjectList(
        [
            FieldPanel(
                "cookiegroup",
                help_text="The group visitors accept or refuse it with.",
                permission="superuser",
            ),
            FieldPanel(
                "name",
                help_text="The cookie's exact name, as the browser stores it.",
                permission="superuser",
            ),
            FieldPanel("description", help_text="What the cookie is for, in plain words."),
            FieldPanel("duration"),
            FieldPanel(
                "domain",
                help_text="Leave empty for this site's own cookies.",
                permission="superuser",
            ),
            FieldPanel("path", help_text="Usually /.", permission="superuser"),
        ],
        base_form_class=CookieForm,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cookiegroup", "detail")

    def duration(self, obj):
        detail = getattr(obj, "detail", None)
        return detail.duration if detail else ""


class ReadOnlyPermissionHelper(PermissionHelper):
    """Consent records are evidence: staff may read them, nobody edits or adds one by hand."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class ConsentIdSearchHandler(DjangoORMSearchHandler):
    """Finds a consent id written either way (with or without hyphens) on every database."""

    def search_queryset(self, queryset, search_term, **kwargs):
        if not search_term:
            return queryset
        try:
            return queryset.filter(consent_id=uuid.UUID(search_term.strip()))
        except ValueError:
            return queryset.none()


class ConsentRecordAdmin(ModelAdmin):
    model = ConsentRecord
    menu_label = "Consent record"
    menu_icon = "doc-full"
    list_display = ("created", "consent_id", "accepted", "declined")
    list_filter = ("created",)
    search_fields = ("consent_id",)
    search_handler_class = ConsentIdSearchHandler
    inspect_view_enabled = True
    permission_helper_class = ReadOnlyPermissionHelper


class CookieConsentGroup(ModelAdminGroup):
    menu_label = "Cookie consent"
    menu_icon = "lock"
    menu_order = 900
    items = (CookieGroupAdmin, CookieAdmin, ConsentRecordAdmin)
