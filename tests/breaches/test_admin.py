"""The editor's side: required facts on publish, drafts allowed, and what Editors may do."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from breaches.models import BreachCaseStudyPage, BreachType


def _form(breach_types=(), **overrides):
    data = {
        "title": "Riverside council lost a laptop",
        "slug": "riverside-council-lost-a-laptop",
        "summary": "An invented council lost a laptop.",
        "organisation": "Riverside Council",
        "sector": "council",
        "period_start": "2023",
        "period_end": "",
        "incidents_reported": "",
        "people_affected": "",
        "published_date": "2024-05-01",
        "body": streamfield([]),
        "sources": inline_formset([]),
        "related_links": inline_formset([]),
        "comments": inline_formset([]),
    }
    data.update(overrides)
    data = nested_form_data(data)
    # A multiple choice posts one value per choice, which nested_form_data cannot express.
    data["breach_types"] = [str(pk) for pk in breach_types]
    return data


def _add_url(index):
    return reverse("wagtailadmin_pages:add", args=("breaches", "breachcasestudypage", index.pk))


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("eddie", "eddie@example.test", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.mark.django_db
class TestRequiredFactsBeforePublishing:
    def test_publishing_without_the_facts_shows_each_error(self, admin_client, index):
        data = _form(organisation="", period_start="", **{"action-publish": "publish"})
        response = admin_client.post(_add_url(index), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Name the organisation that was breached before publishing." in html
        assert "Give the year the breach happened (or began) before publishing." in html
        assert "Choose at least one breach type before publishing" in html
        assert not BreachCaseStudyPage.objects.filter(slug="riverside-council-lost-a-laptop")

    def test_a_draft_may_be_saved_without_them(self, admin_client, index):
        data = _form(organisation="", period_start="", sector="", summary="")
        response = admin_client.post(_add_url(index), data)
        assert response.status_code == 302
        page = BreachCaseStudyPage.objects.get(slug="riverside-council-lost-a-laptop")
        assert not page.live
        assert page.organisation == ""

    def test_publishing_with_the_facts_goes_live(self, admin_client, index):
        lost = BreachType.objects.get(slug="lost-devices")
        data = _form(breach_types=[lost.pk], **{"action-publish": "publish"})
        response = admin_client.post(_add_url(index), data)
        assert response.status_code == 302
        page = BreachCaseStudyPage.objects.get(slug="riverside-council-lost-a-laptop")
        assert page.live
        assert list(page.breach_types.all()) == [lost]
        assert page.get_parent().specific == index

    def test_last_year_before_first_is_refused(self, admin_client, index):
        lost = BreachType.objects.get(slug="lost-devices")
        data = _form(period_end="2019", breach_types=[lost.pk], **{"action-publish": "publish"})
        html = admin_client.post(_add_url(index), data).content.decode()
        assert "The last year cannot be before the first year." in html

    def test_more_than_three_related_posts_is_refused(self, admin_client, index):
        lost = BreachType.objects.get(slug="lost-devices")
        others = list(BreachCaseStudyPage.objects.all()[:4])
        data = _form(
            breach_types=[lost.pk],
            related_links=inline_formset([{"related_page": str(p.pk)} for p in others]),
            **{"action-publish": "publish"},
        )
        response = admin_client.post(_add_url(index), data)
        assert response.status_code == 200
        assert not BreachCaseStudyPage.objects.filter(slug="riverside-council-lost-a-laptop")

    def test_preview_renders(self, admin_client, index):
        lost = BreachType.objects.get(slug="lost-devices")
        url = reverse(
            "wagtailadmin_pages:preview_on_add",
            args=("breaches", "breachcasestudypage", index.pk),
        )
        response = admin_client.post(url, _form(breach_types=[lost.pk]))
        assert response.json()["is_valid"] is True
        preview = admin_client.get(url)
        assert preview.status_code == 200
        assert "Riverside Council" in preview.content.decode()

    def test_every_editor_field_has_help_text(self):
        fields = [
            "organisation",
            "sector",
            "period_start",
            "period_end",
            "incidents_reported",
            "people_affected",
            "breach_types",
            "published_date",
            "hero_image",
            "summary",
            "body",
            "featured",
            "callback_form",
        ]
        for name in fields:
            assert BreachCaseStudyPage._meta.get_field(name).help_text, name


@pytest.mark.django_db
class TestEditors:
    def test_editor_creates_and_publishes_a_case_study(self, client, editor, index):
        client.force_login(editor)
        assert client.get(_add_url(index)).status_code == 200
        lost = BreachType.objects.get(slug="lost-devices")
        data = _form(breach_types=[lost.pk], **{"action-publish": "publish"})
        assert client.post(_add_url(index), data).status_code == 302
        assert BreachCaseStudyPage.objects.get(slug="riverside-council-lost-a-laptop").live

    def test_editor_manages_breach_types(self, client, editor, demo_site):
        client.force_login(editor)
        listing = client.get(reverse("wagtailsnippets_breaches_breachtype:list"))
        assert listing.status_code == 200
        assert "Lost or stolen devices" in listing.content.decode()
        response = client.post(
            reverse("wagtailsnippets_breaches_breachtype:add"),
            {"name": "Phishing", "slug": "", "description": "Tricked into giving it away."},
        )
        assert response.status_code == 302
        assert BreachType.objects.get(name="Phishing").slug == "phishing"

    def test_editor_cannot_see_leads_but_edits_the_call_back_forms_wording(
        self, client, editor, demo_site
    ):
        # Issue 18: the forms' wording is the editors' (recipients stay with superusers).
        client.force_login(editor)
        assert not editor.has_perm("leads.view_lead")
        response = client.get(reverse("wagtailsnippets_leads_callbackform:list"))
        assert response.status_code == 200
        assert "Call-back forms" in client.get(reverse("wagtailsnippets:index")).content.decode()
        menu = client.get(reverse("wagtailadmin_home")).content.decode()
        assert "/admin/leads/lead/" not in menu and "/admin/leads/queue/" not in menu
