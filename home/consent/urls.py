"""/cookies/: our views under django-cookie-consent's URL names, so its reversals still work."""

from django.urls import path

from home.consent import views

urlpatterns = [
    path("", views.settings_view, name="cookie_consent_cookie_group_list"),
    path("status/", views.status_view, name="cookie_consent_status"),
    path("token/", views.token_view, name="cookie_consent_token"),
    path("accept/", views.AcceptView.as_view(), name="cookie_consent_accept"),
    path("decline/", views.DeclineView.as_view(), name="cookie_consent_decline"),
    path("save/", views.SaveView.as_view(), name="cookie_consent_save"),
]
