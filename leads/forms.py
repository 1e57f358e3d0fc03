"""The call-back form readers fill in: validation and clean-up of what they send."""

import re
import unicodedata
import uuid

from django import forms

from leads import phones
from leads.models import CallbackTime

UTM_FIELDS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid"]
TRACKING_MAX_LENGTH = 200


def strip_control_characters(value):
    """Drops control and format characters (incl. bidi overrides) and normalises to NFC.

    Zero-width joiners stay: some scripts need them to spell a name.
    """
    value = unicodedata.normalize("NFC", value)
    kept = [
        ch
        for ch in value
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch == "\u200d"
    ]
    return re.sub(r"\s+", " ", "".join(kept)).strip()


class CleanCharField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return strip_control_characters(value) if value else value


class TrackingField(forms.CharField):
    """A hidden campaign value: never an error, just cleaned and cut to length."""

    def __init__(self, limit=TRACKING_MAX_LENGTH, **kwargs):
        self.limit = limit
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)

    def to_python(self, value):
        value = strip_control_characters(super().to_python(value) or "")
        return value[: self.limit]


class LeadForm(forms.Form):
    """Four answers and the privacy acknowledgement, plus the hidden fields the page adds."""

    full_name = CleanCharField(
        label="Full name",
        max_length=150,
        error_messages={
            "required": "Enter your full name",
            "max_length": "Your name must be 150 characters or fewer",
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        help_text="A UK mobile or landline, or an international number starting with +",
        error_messages={
            "required": "Enter your phone number",
            "max_length": "Enter a phone number, like 07123 456 789 or +44 20 7946 0000",
            "invalid": "Enter a valid phone number, like 07123 456 789 or +44 20 7946 0000",
        },
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Your email address must be 254 characters or fewer",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    callback_time = forms.ChoiceField(
        label="Best time to call",
        choices=[("", "Choose a time")] + list(CallbackTime.choices),
        error_messages={
            "required": "Choose the best time to call you",
            "invalid_choice": "Choose one of the times in the list",
        },
    )
    privacy_ack = forms.BooleanField(
        label="I have read the privacy notice and agree to be contacted about my enquiry",
        error_messages={"required": "Tick the box to confirm you have read the privacy notice"},
    )

    # Hidden: filled by the page and its script, never shown as errors to the reader.
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    submission_key = forms.CharField(required=False, widget=forms.HiddenInput)
    referrer = TrackingField(limit=500)
    utm_source = TrackingField()
    utm_medium = TrackingField()
    utm_campaign = TrackingField()
    utm_term = TrackingField()
    utm_content = TrackingField()
    gclid = TrackingField()
    # The honeypot: people never see it (and are told to leave it empty if they do).
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    visible_fields_order = ["full_name", "phone", "email", "callback_time", "privacy_ack"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "callback-%s")
        super().__init__(*args, **kwargs)
        # The checkbox is read together with the privacy notice sentence above it.
        self.fields["privacy_ack"].widget.attrs["aria-describedby"] = "callback-privacy"

    def full_clean(self):
        super().full_clean()
        if self._errors and "privacy_ack" in self._errors:
            # Django adds the error id itself only when no description was set by hand.
            self.fields["privacy_ack"].widget.attrs["aria-describedby"] = (
                "callback-privacy callback-privacy_ack_error"
            )

    def clean_full_name(self):
        name = self.cleaned_data["full_name"]
        if not any(ch.isalpha() for ch in name):
            raise forms.ValidationError("Enter your full name using letters")
        return name

    def clean_phone(self):
        number = phones.valid_e164(strip_control_characters(self.cleaned_data["phone"]))
        if number is None:
            raise forms.ValidationError(self.fields["phone"].error_messages["invalid"])
        return number

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def clean_submission_key(self):
        value = self.cleaned_data.get("submission_key") or ""
        try:
            return uuid.UUID(value) if value else None
        except ValueError:
            # A malformed key only loses the double-click guard; the duplicate window remains.
            return None

    def clean_referrer(self):
        value = self.cleaned_data.get("referrer") or ""
        return value if value.startswith(("http://", "https://")) else ""

    def visible_fields_in_order(self):
        return [self[name] for name in self.visible_fields_order]

    def error_list(self):
        """Errors in the order the fields appear, for the summary at the top."""
        return [
            (self[name], error)
            for name in self.visible_fields_order
            for error in self.errors.get(name, [])
        ]
