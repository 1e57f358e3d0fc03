"""The admin screens for the further systems hand-offs go to (WebhookEndpoint): superusers
add, change and switch them off; the secret is written, never read back."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.viewsets.model import ModelViewSet

from leads.models import WebhookEndpoint


class EndpointForm(WagtailAdminModelForm):
    """The secret is a password field that starts empty: empty on an existing endpoint keeps
    the stored secret."""

    secret = forms.CharField(
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=WebhookEndpoint._meta.get_field("secret").help_text,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["secret"].help_text = (
                f"A secret is set (ending {self.instance.secret_hint}). Leave this empty to "
                "keep it, or type a new one to replace it."
            )

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if secret:
            return secret
        if self.instance.pk and self.instance.secret:
            return self.instance.secret
        raise forms.ValidationError("Give the secret agreed with the receiver.")


class EndpointViewSet(ModelViewSet):
    model = WebhookEndpoint
    form_class = EndpointForm
    icon = "link-external"
    menu_label = "Hand-off endpoints"
    add_to_settings_menu = True
    list_display = ["name", "url", "is_active", "secret_hint"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return EndpointForm

    def get_permissions_to_register(self):
        # Group settings would offer permissions that open nothing (superusers only).
        return super().get_permissions_to_register().none()
