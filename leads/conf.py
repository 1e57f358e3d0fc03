"""The leads app's settings and their defaults, in one place.

Each is a Django setting of the same name, read when it is used (so tests may override it):
`conf.LEADS_RATE_LIMIT` is the project's value if cms/settings sets one, else the default
below. The settings modules take these defaults too when a value comes from the environment.
"""

from django.conf import settings

DEFAULTS = {
    # Who is emailed about new leads when a form names nobody.
    "LEADS_NOTIFY_TO": [],
    "LEADS_RETENTION_DAYS": 730,
    # How many requests one address may send (leads/limits.py; docs/scaling.md says how they
    # were sized). LEADS_RATE_LIMIT, (leads, seconds): past this many leads from one address
    # in the window, new ones are stored held for review, never refused. The flood limits,
    # (requests, seconds) per address (an IPv6 client's /64) and for the whole site: above
    # them the form answers 429 with Retry-After and stores nothing. A limit of 0 turns it off.
    "LEADS_RATE_LIMIT": (10, 600),
    "LEADS_FLOOD_LIMIT": (600, 60),
    "LEADS_FLOOD_LIMIT_SITE": (6000, 60),
    # Call-back form defences (leads/security.py): the fastest a person fills the form, how
    # long a rendered form stays valid, how long a repeat from the same email and phone (or
    # a honeypot hit from the same address) counts as a duplicate, and how long a request
    # waits for an identical one in flight to store the lead.
    "LEADS_MIN_FILL_SECONDS": 3,
    "LEADS_FORM_MAX_AGE": 7 * 24 * 3600,
    "LEADS_DUPLICATE_WINDOW_SECONDS": 900,
    "LEADS_CLAIM_WAIT_SECONDS": 5,
    "LEADS_MAX_BODY_BYTES": 16_384,
    # Notifications: attempts before giving up, and the first retry's delay (then doubling).
    "LEADS_NOTIFY_MAX_ATTEMPTS": 5,
    "LEADS_NOTIFY_RETRY_BASE_SECONDS": 60,
    # The desk marks a notice late when it has waited this long (a stopped worker shows
    # within minutes); a job running this long had its worker die and is run again.
    "LEADS_NOTIFY_LATE_AFTER_SECONDS": 600,
    "LEADS_NOTIFY_STALLED_AFTER_SECONDS": 300,
    # The hand-off to the claims system (leads/handoff.py, docs/handoff.md): where qualified
    # leads are POSTed and the secret they are signed with (empty URL: no hand-off), how long
    # one POST may take (connecting, then each read), attempts before giving up, the first
    # retry's delay (then doubling, up to the cap), and how long a worker holds a hand-off it
    # is sending before another may take it over (longer than the timeout).
    "LEADS_WEBHOOK_URL": "",
    "LEADS_WEBHOOK_SECRET": "",
    "LEADS_WEBHOOK_TIMEOUT_SECONDS": 10,
    "LEADS_WEBHOOK_MAX_ATTEMPTS": 8,
    "LEADS_WEBHOOK_RETRY_BASE_SECONDS": 60,
    "LEADS_WEBHOOK_RETRY_MAX_SECONDS": 3600,
    "LEADS_WEBHOOK_CLAIM_SECONDS": 60,
    # Whether the retention purge task books its own next run.
    "LEADS_PURGE_RESCHEDULE": True,
    # The desk: XLSX files are assembled before sending, so they are capped (CSV streams);
    # exports up to this many leads are also logged in each lead's own history.
    "LEADS_XLSX_MAX_ROWS": 25_000,
    "LEADS_PER_LEAD_LOG_MAX": 500,
    # The spool that keeps call-back requests while the database is unreachable
    # (leads/spool.py): this server's directory (relative paths are under BASE_DIR), the
    # shared Redis holding the stream (None: the cache's REDIS_URL; empty: no stream), the
    # stream's key, and how often a web process retries storing what it kept.
    "LEADS_SPOOL_DIR": "var/lead-spool",
    "LEADS_SPOOL_REDIS_URL": None,
    "LEADS_SPOOL_STREAM": "leads:spool",
    "LEADS_SPOOL_RETRY_SECONDS": 2,
    # The call queue (leads/hours.py, leads/calls.py): the desk's working days (Monday is 0)
    # and hours in Europe/London, each "best time to call" slot, the UK nation whose bank
    # holidays are days off (ENG, NIR, SCT or WLS), how long after a missed call the lead
    # is due again, how many missed calls in a row close it as unreachable, and how long a
    # lead may wait untouched past its due time before the lead managers are told (checked
    # every LEADS_ESCALATION_SWEEP_SECONDS by the task worker).
    "LEADS_WORKING_DAYS": (0, 1, 2, 3, 4),
    "LEADS_WORKING_HOURS": ("09:00", "20:00"),
    "LEADS_CALL_SLOTS": {
        "morning": ("09:00", "12:00"),
        "afternoon": ("12:00", "17:00"),
        "evening": ("17:00", "20:00"),
    },
    "LEADS_BANK_HOLIDAY_NATION": "ENG",
    "LEADS_RETRY_AFTER_MINUTES": 120,
    "LEADS_UNREACHABLE_AFTER_ATTEMPTS": 3,
    "LEADS_ESCALATE_AFTER_MINUTES": 30,
    "LEADS_ESCALATION_SWEEP_SECONDS": 60,
    # The queue shows at most this many leads at once (the most overdue first).
    "LEADS_QUEUE_MAX_ROWS": 100,
    # Conversion figures (leads/conversion/): whether public page views are counted at all
    # (an operator's off switch), how often each web process hands its counts to Redis (0: no
    # background thread; the fold or the process's exit hands them over), the Redis that
    # keeps them until the fold (None: the cache's REDIS_URL; empty: none, each hand-over
    # writes to the database), its keys' prefix, how often the task worker folds them into
    # the database, path prefixes never counted, and how long the daily aggregates are kept.
    "LEADS_COUNT_VIEWS": True,
    "LEADS_COUNT_FLUSH_SECONDS": 5,
    "LEADS_COUNT_REDIS_URL": None,
    "LEADS_COUNT_KEY_PREFIX": "leads:views",
    "LEADS_COUNT_FOLD_SECONDS": 60,
    "LEADS_COUNT_SKIP_PATHS": (
        "/admin/",
        "/django-admin/",
        "/documents/",
        "/media/",
        "/static/",
        "/health/",
        "/.well-known/",
        "/leads/",
    ),
    "LEADS_COUNT_RETENTION_DAYS": 800,
}


def __getattr__(name):
    if name in DEFAULTS:
        return getattr(settings, name, DEFAULTS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
