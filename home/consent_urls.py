"""/cookies/: our views under django-cookie-consent's URL names, so its reversals still work."""

from django.urls import path

from home import consent_views

urlpatterns = [
    path("", consent_views.settings_view, name="cookie_consent_cookie_group_list"),
    path("status/", consent_views.status_view, name="cookie_consent_status"),
    path("token/", consent_views.token_view, name="cookie_consent_token"),
    path("accept/", consent_views.AcceptView.as_view(), name="cookie_consent_accept"),
    path("decline/", consent_views.DeclineView.as_view(), name="cookie_consent_decline"),
    path("save/", consent_views.SaveView.as_view(), name="cookie_consent_save"),
]
