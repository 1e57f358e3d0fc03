import pytest

from leads.forms import LeadForm, strip_control_characters
from tests.leads.helpers import answers


def clean(**overrides):
    form = LeadForm(answers(**overrides))
    form.is_valid()
    return form


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0121 496 0123", "+441214960123"),
        ("+44 (0)121 496 0123", "+441214960123"),
        ("0044 121 496 0123", "+441214960123"),
        ("07911 123456", "+447911123456"),
        # Jersey: dialled like a UK number, valid in its own region (JE), not as GB.
        ("01534 440 123", "+441534440123"),
        ("07797 712345", "+447797712345"),  # a Jersey mobile
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed, stored):
    form = clean(phone=typed)
    assert form.errors == {}
    assert form.cleaned_data["phone"] == stored


@pytest.mark.parametrize(
    "typed", ["12345", "07700", "not a number", "+44 1234", "0", "07700 900 982"]
)
def test_invalid_phone_numbers_get_a_clear_message(typed):
    form = clean(phone=typed)
    assert form.errors["phone"] == [
        "Enter a valid phone number, like 07123 456 789 or +44 20 7946 0000"
    ]


def test_unicode_names_are_kept_and_control_characters_dropped():
    form = clean(full_name="  Zoë\u202e O'Brien-\x00Łukasiewicz\t ")
    assert form.errors == {}
    assert form.cleaned_data["full_name"] == "Zoë O'Brien-Łukasiewicz"


def test_names_and_emails_are_bounded():
    form = clean(full_name="a" * 151, email="a" * 250 + "@example.com")
    assert "full_name" in form.errors
    assert "email" in form.errors


def test_a_name_needs_letters():
    assert clean(full_name="\x01\x02 !!").errors["full_name"]


def test_every_answer_is_required_with_its_own_message():
    form = LeadForm({})
    assert not form.is_valid()
    assert form.errors == {
        "full_name": ["Enter your full name"],
        "phone": ["Enter your phone number"],
        "email": ["Enter your email address"],
        "callback_time": ["Choose the best time to call you"],
        "privacy_ack": ["Tick the box to confirm you have read the privacy notice"],
    }


def test_tracking_values_are_cut_to_length_not_refused():
    form = clean(utm_source="x" * 500, gclid="g\x00" + "1" * 300)
    assert form.errors == {}
    assert len(form.cleaned_data["utm_source"]) == 200
    assert form.cleaned_data["gclid"] == "g" + "1" * 199


def test_strip_control_characters_keeps_zero_width_joiner():
    assert strip_control_characters("a\u200db\u200bc") == "a\u200dbc"
