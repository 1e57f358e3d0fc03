"""`{% site_url %}` and `{% site_static %}` from home/templatetags/site_constants.py: Django's
`{% url %}` and `{% static %}`, kept with the site snapshot, worked out again with a new one."""

from unittest import mock

import pytest
from django.template import TemplateSyntaxError, engines
from django.test import Client, override_settings

from home.models import SiteSettings
from home.templatetags import site_constants

# A process with the site snapshot, outside the page cache and shared fragments.
RENDERED = {"PAGE_CACHE_ENABLED": False}


def _render(source, context=None):
    return engines["django"].from_string(source).render(context or {})


def body(path="/"):
    with override_settings(**RENDERED):
        response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode()


class TestSameAsDjango:
    @pytest.mark.parametrize(
        "name", ["cookie_consent_status", "cookie_consent_cookie_group_list", "leads:submit"]
    )
    def test_url(self, name):
        ours = _render(f"{{% load site_constants %}}{{% site_url '{name}' %}}")
        assert ours == _render(f"{{% url '{name}' %}}")

    @pytest.mark.parametrize("path", ["home/css/site.css", "a file & more.js", "?a=1&b=<2>"])
    def test_static(self, path):
        ours = _render(f'{{% load site_constants %}}{{% site_static "{path}" %}}')
        assert ours == _render(f'{{% load static %}}{{% static "{path}" %}}')
        off = "{% autoescape off %}{% load static site_constants %}"
        assert _render(off + f'{{% site_static "{path}" %}}{{% endautoescape %}}') == _render(
            off + f'{{% static "{path}" %}}{{% endautoescape %}}'
        )

    @pytest.mark.parametrize(
        "tag", ["{% site_url %}", "{% site_url name %}", "{% site_url 'a' 'b' %}"]
    )
    def test_only_one_quoted_argument(self, tag):
        with pytest.raises(TemplateSyntaxError):
            _render("{% load site_constants %}" + tag)


@pytest.mark.django_db
class TestKeptWithTheSnapshot:
    def test_worked_out_once_per_snapshot_and_again_after_a_settings_save(self, demo_site):
        body()  # the snapshot and its constants, as in a running server
        original = site_constants.reverse
        with mock.patch.object(site_constants, "reverse", side_effect=original) as reversed_:
            html = body()
            assert reversed_.call_count == 0
            assert f'data-status-url="{original("cookie_consent_status")}"' in html
            # Saving the site settings replaces the snapshot: the next page works them out.
            SiteSettings.objects.get().save()
            body()
            assert reversed_.call_count > 0
            calls = reversed_.call_count
            body()
            assert reversed_.call_count == calls
