from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The reader-facing site search at /search/."""

    name = "search"
