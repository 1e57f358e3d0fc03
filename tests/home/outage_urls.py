"""A URLconf with a view that fails for a reason other than the database (test_outage.py)."""

from django.urls import path

from cms.urls import handler500  # noqa: F401 - the project's error handler, as in production


def broken(request):
    raise ValueError("a bug, not an outage")


urlpatterns = [path("broken/", broken)]
