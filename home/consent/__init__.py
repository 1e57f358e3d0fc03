"""Cookie consent on top of django-cookie-consent: versions, the consent cookie, the record.

Why this package exists beside the library:

- **Versions.** The library dates a group by its newest cookie, so editing or removing a cookie
  never asks visitors again. Here a group's version is a fingerprint of its whole cookie list
  (name, domain, path, purpose, duration): any change gives a new version, and a visitor who
  accepted an older one is asked again. Declining stays declined whatever the version.
- **Cached pages.** Pages carry no per-visitor state. The browser asks the never-cached status
  endpoint what this visitor chose, and the banner and scripts follow the answer.
- **One shared cache.** The groups and their versions live in Django's default cache (Redis
  when REDIS_URL is set); saving or deleting a group, cookie or detail anywhere clears it, so
  every process sees the change on its next request.
- **The record.** Each decision is stored as a ConsentRecord: a random consent id (kept in the
  consent cookie), the groups accepted with their versions, the groups declined, and the time.

Modules: `models` (app label `home`), `groups` (the cached groups and their versions),
`visitor` (a visitor's states and the record), `views` and `urls` (/cookies/, included by
cms/urls.py), `admin` (the Wagtail admin screens, registered by home/wagtail_hooks.py).

home/models.py imports this package while Django loads models, so it exports nothing that
needs the admin.
"""

from home.consent.groups import connect_signals
from home.consent.models import ConsentRecord, ConsentVersion, CookieDetail

__all__ = ["ConsentRecord", "ConsentVersion", "CookieDetail", "connect_signals"]
