"""Settings shared by every environment. Nothing secret or deployment-specific lives here:
those values come from the environment (see README "Deploying")."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE

from cms.env import (
    client_address_settings,
    email_settings_from_url,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    frontend_cache_from_env,
    media_origin,
    media_storage_from_env,
    media_urls_expire,
    webhook_from_env,
)
from home import site_root
from leads.conf import DEFAULTS as leads_defaults

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Our apps first so their templates override third-party ones.
    "leads",
    "home",
    "breaches",
    "search",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "cookie_consent",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
]

MIDDLEWARE = [
    # Outermost: counts readers' views of public pages, page-cache hits included, for the
    # conversion figures (leads/conversion/); no cookie, no database write in the request.
    "leads.conversion.middleware.PageViewCountMiddleware",
    # First: a hit skips everything below; a miss sees the final response, security headers
    # and cookies included, before deciding to store it.
    "home.page_cache.middleware.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Site, home page, settings and view restrictions for page requests, without queries.
    "home.page_cache.snapshot.SiteSnapshotMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether this session passed the second factor, then: admin pages wait until it has.
    "django_otp.middleware.OTPMiddleware",
    "home.security.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "home.security.csp.PathPolicyCSPMiddleware",
    "home.security.headers.PermissionsPolicyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so it sees the lockout raised by the authentication backend.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# DATABASE_URL picks the database; an SQLite file beside manage.py when unset.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# PostgreSQL that cannot be reached fails a request within this many seconds (the 503 page,
# home/outage.py) instead of hanging until the operating system gives up.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 3
    )
    # JIT compiling costs ~20 ms a query once a plan's estimate passes jit_above_cost, which
    # a page's few-millisecond queries reach as tables grow (docs/scaling.md, "Render cost").
    # DATABASE_JIT=true leaves the server's setting (e.g. behind PgBouncer, which refuses
    # start-up options: then `ALTER DATABASE ... SET jit = off`).
    if not env_bool("DATABASE_JIT", False):
        DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
    # Prepared statements: a query run again on a connection (the same SQL with other values,
    # as every page's are) skips PostgreSQL's parsing and planning, about a third of the
    # server's time for a page render (docs/scaling.md, "Render cost"). They live in the
    # server's session, which a pooler in transaction mode (PgBouncer before 1.21) does not
    # keep: DATABASE_PREPARED_STATEMENTS=false there.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env_int(
            "DATABASE_PREPARE_THRESHOLD", 2
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache when REDIS_URL is set (several processes must agree on rate limits,
# cookie groups and page-cache purges); a per-process memory cache otherwise. Redis is never
# required: while it is unreachable the backend answers as a dummy cache and pages come from
# the database (home/page_cache/backend.py). The timeouts bound what a stuck Redis costs the
# one request in REDIS_RETRY_SECONDS that tries it.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "home.page_cache.backend.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cms"),
            "TIMEOUT": 300,
            "OPTIONS": {
                "socket_connect_timeout": env_int("REDIS_CONNECT_TIMEOUT_MS", 300) / 1000,
                "socket_timeout": env_int("REDIS_SOCKET_TIMEOUT_MS", 500) / 1000,
            },
        }
    }
    PAGE_CACHE_REDIS_RETRY_SECONDS = env_int("REDIS_RETRY_SECONDS", 5)
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cms-default",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out account or client before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
# /favicon.ico and any other file that must answer at the root (home/site_root.py).
WHITENOISE_ROOT = site_root.DIRECTORY
WHITENOISE_ADD_HEADERS_FUNCTION = site_root.add_headers
# The web app manifest's type, which whitenoise's own table lacks.
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded media on MEDIA_ROOT, or in an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is
# set, so that several app servers share one media store (docs/scaling.md).
STORAGES = {
    "default": media_storage_from_env(),
    "staticfiles": {"BACKEND": "home.staticfiles.ManifestStaticFilesStorage"},
}
# Signed media URLs stop working after AWS_QUERYSTRING_EXPIRE seconds. Pages in the shared
# page cache live far less (home/page_cache/), but its per-process layer keeps a page until
# a purge, however old; with signed URLs every hit therefore comes from Redis.
if media_urls_expire(STORAGES["default"]):
    PAGE_CACHE_LOCAL_ENTRIES = 0

# Bodies larger than this are refused with a 400 before any view sees them; the admin's
# page editor needs many fields, the public forms need few.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Email: EMAIL_URL when given, else Django's own EMAIL_* names.
if env_str("EMAIL_URL"):
    globals().update(email_settings_from_url(env_str("EMAIL_URL")))
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "website@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background jobs. Production runs the database backend and `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Wagtail
WAGTAIL_SITE_NAME = "Breach claims"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# The admin must work offline and must not tell third parties who logs in.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# Documents are always downloaded, never shown in the browser from our origin, so an
# uploaded HTML, SVG or script file cannot run as our site; Wagtail's serve view also sends
# `Content-Security-Policy: default-src 'none'` on them. PDFs included: browsers' PDF viewers
# run scripts embedded in the file.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES = []
WAGTAIL_I18N_ENABLED = False
# The caches in front of the app servers (Varnish, a CDN), purged by the page cache's purge
# graph through Wagtail's frontend cache (home/page_cache/edge.py). Empty: none.
WAGTAILFRONTENDCACHE = frontend_cache_from_env()

# Leads: what deployments may set from the environment. leads/conf.py holds every LEADS_*
# setting's default and says what each is for.
LEADS_NOTIFY_TO = env_list("LEADS_NOTIFY_TO", leads_defaults["LEADS_NOTIFY_TO"])
LEADS_RETENTION_DAYS = env_int("LEADS_RETENTION_DAYS", leads_defaults["LEADS_RETENTION_DAYS"])
LEADS_RATE_LIMIT = (
    env_int("LEADS_RATE_LIMIT", leads_defaults["LEADS_RATE_LIMIT"][0]),
    env_int("LEADS_RATE_WINDOW", leads_defaults["LEADS_RATE_LIMIT"][1]),
)
LEADS_FLOOD_LIMIT = (
    env_int("LEADS_FLOOD_LIMIT", leads_defaults["LEADS_FLOOD_LIMIT"][0]),
    env_int("LEADS_FLOOD_WINDOW", leads_defaults["LEADS_FLOOD_LIMIT"][1]),
)
LEADS_FLOOD_LIMIT_SITE = (
    env_int("LEADS_FLOOD_LIMIT_SITE", leads_defaults["LEADS_FLOOD_LIMIT_SITE"][0]),
    env_int("LEADS_FLOOD_WINDOW", leads_defaults["LEADS_FLOOD_LIMIT_SITE"][1]),
)
LEADS_MIN_FILL_SECONDS = env_int("LEADS_MIN_FILL_SECONDS", leads_defaults["LEADS_MIN_FILL_SECONDS"])
LEADS_FORM_MAX_AGE = env_int("LEADS_FORM_MAX_AGE", leads_defaults["LEADS_FORM_MAX_AGE"])
LEADS_DUPLICATE_WINDOW_SECONDS = env_int(
    "LEADS_DUPLICATE_WINDOW_SECONDS", leads_defaults["LEADS_DUPLICATE_WINDOW_SECONDS"]
)
LEADS_CLAIM_WAIT_SECONDS = env_int(
    "LEADS_CLAIM_WAIT_SECONDS", leads_defaults["LEADS_CLAIM_WAIT_SECONDS"]
)
LEADS_NOTIFY_MAX_ATTEMPTS = env_int(
    "LEADS_NOTIFY_MAX_ATTEMPTS", leads_defaults["LEADS_NOTIFY_MAX_ATTEMPTS"]
)
LEADS_XLSX_MAX_ROWS = env_int("LEADS_XLSX_MAX_ROWS", leads_defaults["LEADS_XLSX_MAX_ROWS"])
# The call queue (docs/call-queue.md): whose bank holidays, when to give up, when to escalate.
LEADS_BANK_HOLIDAY_NATION = env_str(
    "LEADS_BANK_HOLIDAY_NATION", leads_defaults["LEADS_BANK_HOLIDAY_NATION"]
)
LEADS_UNREACHABLE_AFTER_ATTEMPTS = env_int(
    "LEADS_UNREACHABLE_AFTER_ATTEMPTS", leads_defaults["LEADS_UNREACHABLE_AFTER_ATTEMPTS"]
)
LEADS_ESCALATE_AFTER_MINUTES = env_int(
    "LEADS_ESCALATE_AFTER_MINUTES", leads_defaults["LEADS_ESCALATE_AFTER_MINUTES"]
)
# The hand-off of qualified leads to the claims system (docs/handoff.md).
LEADS_WEBHOOK_URL, LEADS_WEBHOOK_SECRET = webhook_from_env()
LEADS_WEBHOOK_MAX_ATTEMPTS = env_int(
    "LEADS_WEBHOOK_MAX_ATTEMPTS", leads_defaults["LEADS_WEBHOOK_MAX_ATTEMPTS"]
)
# Where call-back requests wait while the database is unreachable (docs/data-protection.md).
LEADS_SPOOL_DIR = env_str("LEADS_SPOOL_DIR", str(BASE_DIR / leads_defaults["LEADS_SPOOL_DIR"]))
LEADS_SPOOL_REDIS_URL = env_str("LEADS_SPOOL_REDIS_URL", REDIS_URL)
# Conversion figures: LEADS_COUNT_VIEWS=false turns page-view counting off (the figures then
# show only leads); the counts wait in this Redis until the task worker folds them.
LEADS_COUNT_VIEWS = env_bool("LEADS_COUNT_VIEWS", leads_defaults["LEADS_COUNT_VIEWS"])
LEADS_COUNT_REDIS_URL = env_str("LEADS_COUNT_REDIS_URL", REDIS_URL)
LEADS_COUNT_FLUSH_SECONDS = env_int(
    "LEADS_COUNT_FLUSH_SECONDS", leads_defaults["LEADS_COUNT_FLUSH_SECONDS"]
)

# Cookie consent (django-cookie-consent, extended in home/consent/). The groups are cached
# in the default cache, shared between processes when REDIS_URL is set.
COOKIE_CONSENT_CACHE_BACKEND = "default"
COOKIE_CONSENT_MAX_AGE = 60 * 60 * 24 * 365
# home.ConsentRecord keeps the record (consent id, versions); the library's log lacks an id.
COOKIE_CONSENT_LOG_ENABLED = False
# Long enough to show what a visitor agreed to for as long as the consent cookie lasts.
COOKIE_CONSENT_LOG_RETENTION_DAYS = env_int("COOKIE_CONSENT_LOG_RETENTION_DAYS", 400)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler gets the personal-data filter: logs travel further than the database.
    "filters": {"no_personal_data": {"()": "home.security.log_filters.PersonalDataFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own default handlers (console in DEBUG, mail_admins) would bypass the
        # personal-data filter; send everything through ours instead.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Request logging would echo URLs and bodies; keep it to warnings.
        "django.request": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # One line per background task is noise; failures are still logged as errors.
        "django_tasks": {"level": "WARNING"},
        # django-axes announces itself and every successful sign-in at INFO; failures and
        # lockouts (redacted) are warnings.
        "axes": {"level": "WARNING"},
    },
}

# Security headers. Production adds HSTS, secure cookies and the HTTPS redirect.
# The public policy names no nonce, so a cached page and its header stay valid together
# (see home.security.csp.PathPolicyCSPMiddleware); public templates carry no inline script or
# style. A consented cookie group that loads a third party adds its origin here, and images
# come from the media bucket's (or its CDN's) origin when media is not on our own disk.
MEDIA_ORIGIN = media_origin(STORAGES["default"])
_MEDIA_IMG_SRC = [MEDIA_ORIGIN] if MEDIA_ORIGIN else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_MEDIA_IMG_SRC],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The Wagtail admin gets a fresh nonce on every response (it is never cached): no inline
# script without it, no 'unsafe-inline' or 'unsafe-eval' for scripts, no inline event
# handlers, <style> elements only with the nonce. Style attributes are allowed
# (style-src-attr): they cannot run script, and the rich text editor needs them to keep
# bold and italic pasted from Word or Google Docs. Why, and how inline code gets the
# nonce: home.security.csp.PathPolicyCSPMiddleware. tests/e2e/test_admin_csp.py walks the admin
# and fails on any violation.
CSP_ADMIN_URL_PREFIXES = ("/admin/",)
CONTENT_SECURITY_POLICY_ADMIN = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_MEDIA_IMG_SRC],
        "frame-ancestors": ["'self'"],
    }
}
# Forms render as with Django's default renderer; in the admin, the inline script of each
# Wagtail chooser widget gets the nonce (home/security/chooser_scripts.py).
FORM_RENDERER = "home.security.chooser_scripts.FormRenderer"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Sign-in guessing: five failures lock the account name, and separately the client address,
# for 15 minutes; each attempt while locked restarts the wait. Failures are counted in the
# database (every process agrees, with or without Redis) and expire with the cool-off; no
# log of successful sign-ins is kept. `manage.py axes_reset` lifts a lockout.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "home.security.lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"

# The second factor (home/security/second_factor.py): superusers and whoever may see leads
# must give a code from an authenticator app after their password; others may opt in.
# django-otp checks the code: after each wrong one the next is not even checked for 1, 2, 4,
# 8... seconds (OTP_TOTP_THROTTLE_FACTOR), per account, so codes cannot be guessed.
SECOND_FACTOR_REQUIRED_PERMISSIONS = ["leads.view_lead"]
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME
OTP_TOTP_THROTTLE_FACTOR = 1

# /.well-known/security.txt: where to report a vulnerability (mailto: or https: URIs).
SECURITY_CONTACT = env_list("SECURITY_CONTACT")
SECURITY_TXT_VALID_DAYS = 180

# Number of reverse proxies in front of the app that append to X-Forwarded-For. Which address
# is the client's (for the sign-in lockout and the call-back form's limits alike) is decided by
# django-ipware, configured from this number here and nowhere else; axes reads its own names.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
IPWARE_META_PRECEDENCE_ORDER, IPWARE_META_PROXY_COUNT = client_address_settings(TRUSTED_PROXY_COUNT)
IPWARE_STRICT = False  # a short or padded header still yields the address our proxies wrote
AXES_IPWARE_META_PRECEDENCE_ORDER = IPWARE_META_PRECEDENCE_ORDER
AXES_IPWARE_PROXY_COUNT = IPWARE_META_PROXY_COUNT

# What the 503 page shows while the database is unreachable: the firm's name and freephone
# number, copied here whenever they are saved or first rendered (home/offline.py).
OFFLINE_COPY_PATH = Path(
    env_str("OFFLINE_COPY_PATH", str(BASE_DIR / "var" / "offline-contact.json"))
)

# Health endpoints for load balancers (home/health.py, docs/deployment.md): /health/ready runs
# these checks; details go only to callers with HEALTH_TOKEN or from HEALTH_TRUSTED_ADDRESSES.
HEALTH_READINESS_CHECKS = [
    "home.health.database",
    "home.health.redis",
    "home.health.migrations",
    "home.health.task_queue",
    "leads.spool.readiness",
]
HEALTH_TOKEN = env_str("HEALTH_TOKEN")
HEALTH_TRUSTED_ADDRESSES = env_networks("HEALTH_TRUSTED_ADDRESSES", ["127.0.0.0/8", "::1/128"])
HEALTH_TASK_QUEUE_MAX_AGE = env_int("HEALTH_TASK_QUEUE_MAX_AGE", 600)
