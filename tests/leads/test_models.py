import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from leads.models import CallBackForm
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def snippet_editor(django_user_model):
    user = django_user_model.objects.create_user("editor", password="x")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_callbackform"),
        Permission.objects.get(codename="view_callbackform"),
    )
    return user


def edit_url(form):
    return f"/admin/snippets/leads/callbackform/edit/{form.pk}/"


def test_recipients_are_editable_by_superusers_only(client, admin_user, snippet_editor):
    form = CallBackForm.objects.create(name="Police", notify_to="claims@firm.test")
    client.force_login(snippet_editor)
    html = client.get(edit_url(form)).content.decode()
    assert 'name="heading"' in html
    assert 'name="notify_to"' not in html
    # Posting it anyway changes nothing.
    client.post(
        edit_url(form),
        {
            "name": "Police",
            "heading": "Call us",
            "required_note": "All fields are required.",
            "submit_label": "Send",
            "success_message": "Thanks",
            "privacy_notice": "Notice",
            "privacy_link_text": "Privacy Policy",
            "notify_to": "attacker@evil.test",
        },
    )
    form.refresh_from_db()
    assert form.heading == "Call us"
    assert form.notify_to == "claims@firm.test"

    sign_in_with_second_factor(client, admin_user)
    assert 'name="notify_to"' in client.get(edit_url(form)).content.decode()


def test_recipients_must_be_email_addresses():
    form = CallBackForm(name="x", notify_to="ok@firm.test\nnot an address")
    with pytest.raises(ValidationError) as error:
        form.full_clean()
    assert "not an address" in str(error.value)


def test_privacy_notice_version_changes_with_the_wording():
    form = CallBackForm(name="x")
    before = form.privacy_notice_version
    form.privacy_notice = "New wording about your data, in our"
    assert form.privacy_notice_version != before
