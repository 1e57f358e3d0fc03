"""Static files with hashed names, served by whitenoise (or a CDN in front of it)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's hashed, compressed storage, remembering each file's URL.

    The manifest is read once when the process starts and never changes while it runs, so a
    name's URL is fixed; working it out again for every `{% static %}` on every page costs a
    tenth of an uncached page's time."""

    # The web app manifest's icons get hashed names too, as URLs in CSS do, so whitenoise
    # serves them, like every hashed file, as immutable for a year.
    patterns = (
        *CompressedManifestStaticFilesStorage.patterns,
        (
            "*.webmanifest",
            ((r"""(?P<matched>"src"\s*:\s*"(?P<url>[^"]+)")""", '"src": "%(url)s"'),),
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
