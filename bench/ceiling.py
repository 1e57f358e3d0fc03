"""The ceiling: a trivial Django view, served by the same gunicorn settings as the site.

Both settings and URLconf in one module, so `DJANGO_SETTINGS_MODULE=bench.ceiling` is all
gunicorn needs. Every page's requests/s is reported as a ratio to this view's, measured in
the same run on the same machine, which cancels out how busy the machine happens to be.
"""

from django.http import HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = "bench-ceiling-not-secret"  # noqa: S105 - serves one constant string
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.ceiling"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", ok)]
