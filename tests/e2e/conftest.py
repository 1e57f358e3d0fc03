"""Browser journeys run Playwright's sync API inside the live server's event loop."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
