from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The site shell: home and standard pages, site settings, navigation and shared blocks."""

    name = "home"
    verbose_name = "Site"
