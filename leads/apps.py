from django.apps import AppConfig


class LeadsConfig(AppConfig):
    """Call-back forms, the leads they capture, and the desk where staff work them."""

    name = "leads"
    verbose_name = "Leads"
