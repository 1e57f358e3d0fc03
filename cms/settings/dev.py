"""Local development: safe defaults so `make run` needs nothing else."""

from cms.env import env_str

from .base import *  # noqa: F403

DEBUG = True
# A throwaway key for local use only; production refuses to start without its own.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-used-in-production")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# runserver has no worker beside it: run jobs in the request in development.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WHITENOISE_USE_FINDERS = True
PAGE_CACHE_EXPLAIN = True
