"""Absolute addresses for messages that leave the site (the claims team's email, the hand-off
to the claims system): the lead in the desk, and the page it came from."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse


def site_base():
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def lead_admin_url(lead):
    try:
        path = reverse("leads_lead_modeladmin_inspect", args=[lead.pk])
    except NoReverseMatch:
        path = reverse("wagtailadmin_home")
    return site_base() + path


def source_page_url(lead):
    """The page the reader was on, absolute; empty when unknown."""
    url = lead.source_page_url
    if url.startswith("/"):
        url = site_base() + url
    return url
