"""Files the site serves at its root, such as /favicon.ico: whitenoise serves everything in
home/site_root/ at "/" (WHITENOISE_ROOT), for the clients that ask there without reading a
page's `<link rel="icon">` (feed readers, search engines, some browsers)."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent / "site_root"
# A root file's address never changes, so it cannot be immutable like a hashed static file;
# a week is long enough to spare the requests and short enough for a new icon to arrive.
MAX_AGE = 7 * 24 * 60 * 60


def add_headers(headers, path, url):
    """WHITENOISE_ADD_HEADERS_FUNCTION: a week's cache lifetime for the root files."""
    if Path(path).parent == DIRECTORY:
        headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
