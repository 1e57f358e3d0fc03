"""The site's URLs, plus MEDIA_ROOT at MEDIA_URL, for bench/audit_settings.py only."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from cms.urls import handler500, urlpatterns  # noqa: F401 - the project's, unchanged

urlpatterns = [
    re_path(
        rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
    *urlpatterns,
]
