"""The S3-compatible media store used when AWS_STORAGE_BUCKET_NAME is set (cms/env.py)."""

from storages.backends.s3 import S3Storage

# Wagtail's folders for documents, original images and renditions in the media store.
DOCUMENTS_PREFIX = "documents/"
# Every image object is written once under a name never reused (file_overwrite=False, and
# rendition names carry their filter), so browsers and a CDN may keep it a long time. A
# deleted image stays in a CDN's cache until this runs out, unless the CDN is purged.
IMAGE_CACHE_CONTROL = "public, max-age=2592000, immutable"
# Documents are read by Wagtail's serve view, which checks collection privacy and sends its
# own headers; a copy fetched straight from the bucket must be neither cached nor shown inline.
DOCUMENT_CACHE_CONTROL = "private, no-store"


class MediaStorage(S3Storage):
    """Uploaded images and documents in an S3-compatible bucket, each object stored with the
    headers its kind needs (django-storages' object parameters are otherwise one set for all)."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        if name.startswith(DOCUMENTS_PREFIX):
            params.setdefault("ContentDisposition", "attachment")
            params.setdefault("CacheControl", DOCUMENT_CACHE_CONTROL)
        else:
            params.setdefault("CacheControl", IMAGE_CACHE_CONTROL)
        return params
