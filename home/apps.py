from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The site shell: home and standard pages, site settings, navigation and shared blocks."""

    name = "home"
    verbose_name = "Site"

    def ready(self):
        from home.page_cache import connect_signals

        connect_signals()
