"""Parts of pages kept across requests, and the token tuple anything else built from the
database can be kept under: both are current exactly as long as a cached page would be."""

from django.core.cache import cache

from home.page_cache.conf import setting
from home.page_cache.keys import FRAGMENT_PREFIX, GENERATION_KEY, digest, ensure_tokens, path_key
from home.page_cache.local import checked_local_layer
from home.page_cache.query import declared, has_untracked_params


def fragment_lookup(request, name, depends_on=None):
    """(cached html or None, store(html)) for the fragment `name` of this request's page.

    A fragment is kept per host, path, declared query parameters (home/page_cache/query.py)
    and name, with the generation token and the tokens of the paths it depends on (default:
    the request's own path) as they were *before* it was rendered, and used only while all
    are current: exactly when a cached copy of the page would be. So every purge rule of the
    page cache (publishing, related pages, snippets, settings) applies to fragments
    unchanged. One MGET per fragment. A request whose view declared nothing but which carries
    a query string gets no shared fragments.

    Never for previews, non-GET requests, logged-in users or when the page cache is off:
    those may show drafts or personal data. Returns (None, None) when not to cache.
    """
    if (
        request is None
        or not setting("PAGE_CACHE_ENABLED")
        or not setting("PAGE_FRAGMENTS_ENABLED")
        or request.method not in ("GET", "HEAD")
        or getattr(request, "is_preview", False)
        or getattr(request, "is_dummy", False)
    ):
        return None, None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None, None
    if declared(request) is not None:
        # Cut down to what the page or view declared (home/page_cache/query.py).
        full_path = request.get_full_path()
    elif has_untracked_params(request):
        return None, None  # nobody knows which parameters the view read
    else:
        full_path = request.path
    paths = [request.path] if depends_on is None else list(depends_on)
    path_keys = [path_key(path) for path in paths]
    entry_key = FRAGMENT_PREFIX + digest(f"{request.get_host()}|{full_path}|{name}")
    local = checked_local_layer(request)
    if local is not None:
        known = (local.tokens.get(GENERATION_KEY), *[local.tokens.get(key) for key in path_keys])
        entry = local.fragments.get(entry_key)
        if entry and all(known) and entry[0] == known:
            return entry[1], None
    found = cache.get_many([GENERATION_KEY, *path_keys, entry_key])
    if GENERATION_KEY not in found or any(key not in found for key in path_keys):
        for key in path_keys:
            generation, found[key] = ensure_tokens(key)
        found[GENERATION_KEY] = generation
    tokens = (found[GENERATION_KEY], *[found[key] for key in path_keys])
    if not all(tokens):
        return None, None  # the shared cache is unreachable: render, keep nothing
    entry = found.get(entry_key)
    if entry and entry[0] == tokens:
        if local is not None:
            local.remember_fragment(
                entry_key, entry, dict(zip([GENERATION_KEY, *path_keys], tokens, strict=True))
            )
        return entry[1], None

    def store(html):
        cache.set(entry_key, (tokens, str(html)), timeout=setting("PAGE_CACHE_TIMEOUT"))

    return None, store


def current_tokens(paths, request=None):
    """The generation token and these paths' tokens, as a tuple, or None when the shared
    cache cannot be reached. Anything built from the database after this call and kept under
    the tuple is current exactly as long as the tuple is (see home/page_cache/snapshot.py).
    Purges replace the tokens whether or not the page cache serves pages.

    This process's local layer answers without a round trip while its purge subscription is
    alive; otherwise one MGET."""
    keys = [GENERATION_KEY, *(path_key(path) for path in paths)]
    local = checked_local_layer(request)
    if local is not None:
        known = [local.tokens.get(key) for key in keys]
        if all(known):
            return tuple(known)
    found = cache.get_many(keys)
    if any(key not in found for key in keys):
        for key in keys[1:]:
            found[GENERATION_KEY], found[key] = ensure_tokens(key)
    tokens = tuple(found[key] for key in keys)
    if not all(tokens):
        # The shared cache is unreachable: nothing built now may be kept under these.
        return None
    if local is not None:
        # Safe to keep: a purge after this read arrives as a message, applied before next use.
        local.tokens.update(zip(keys, tokens, strict=True))
    return tokens
