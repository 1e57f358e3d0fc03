import pytest
from django.core.management import call_command
from wagtail.models import Page, Site

from home.models import HomePage, SiteSettings


@pytest.mark.django_db
def test_demo_content_is_idempotent(capsys):
    call_command("load_demo_content")
    first = (Page.objects.count(), Site.objects.count(), SiteSettings.objects.count())
    call_command("load_demo_content")
    second = (Page.objects.count(), Site.objects.count(), SiteSettings.objects.count())
    assert first == second
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    # Wagtail's welcome page is gone: one page at depth 2, the home page.
    assert Page.objects.filter(depth=2).count() == 1
    settings = SiteSettings.for_site(site)
    assert settings.privacy_policy_page.slug == "privacy-policy"
    assert settings.cookie_policy_page.slug == "cookie-policy"
    assert settings.default_callback_form is not None
    assert settings.default_callback_form.privacy_page_id == settings.privacy_policy_page_id
