"""Media in an S3-compatible bucket: the settings read from the environment, and uploads,
renditions and document downloads against a real S3 server (moto's, on 127.0.0.1)."""

import io
import urllib.request
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils.module_loading import import_string
from moto.server import ThreadedMotoServer
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.env import media_origin, media_storage_from_env, media_urls_expire
from cms.storage import DOCUMENT_CACHE_CONTROL, IMAGE_CACHE_CONTROL
from home.page_cache.conf import DEFAULTS as PAGE_CACHE_DEFAULTS
from tests.second_factor import sign_in_with_second_factor

BUCKET_ONLY = {"AWS_STORAGE_BUCKET_NAME": "claims-media"}


@pytest.fixture
def aws_test_credentials(monkeypatch, tmp_path):
    """Dummy keys where boto3 looks for real ones (the environment), and nothing else it
    could find: no ~/.aws files, no instance-metadata lookup over the network."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


class TestStorageFromEnvironment:
    def test_no_bucket_keeps_media_on_local_disk(self):
        storage = media_storage_from_env({})
        assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
        assert media_origin(storage) is None
        assert not media_urls_expire(storage)

    def test_a_blank_bucket_name_counts_as_none(self):
        assert media_storage_from_env({"AWS_STORAGE_BUCKET_NAME": "  "})["BACKEND"] == (
            "django.core.files.storage.FileSystemStorage"
        )

    def test_a_bucket_alone_gives_private_objects_behind_signed_urls(self):
        storage = media_storage_from_env(BUCKET_ONLY)
        assert storage["BACKEND"] == "cms.storage.MediaStorage"
        options = storage["OPTIONS"]
        assert options["bucket_name"] == "claims-media"
        assert options["default_acl"] is None
        assert options["querystring_auth"] is True
        assert options["file_overwrite"] is False
        assert options["endpoint_url"] is None
        assert options["custom_domain"] is None
        assert media_urls_expire(storage)

    def test_keys_in_the_environment_never_reach_the_settings(self):
        storage = media_storage_from_env(
            {
                **BUCKET_ONLY,
                "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "very-secret-value",
            }
        )
        assert "very-secret-value" not in repr(storage)
        assert "AKIAEXAMPLE" not in repr(storage)

    def test_an_s3_compatible_service_behind_a_cdn(self):
        storage = media_storage_from_env(
            {
                **BUCKET_ONLY,
                "AWS_S3_ENDPOINT_URL": "https://account.r2.cloudflarestorage.com/",
                "AWS_S3_REGION_NAME": "auto",
                "AWS_S3_CUSTOM_DOMAIN": "media.example.co.uk",
                "AWS_QUERYSTRING_AUTH": "false",
                "AWS_QUERYSTRING_EXPIRE": "900",
            }
        )
        options = storage["OPTIONS"]
        assert options["endpoint_url"] == "https://account.r2.cloudflarestorage.com"
        assert options["addressing_style"] == "path"
        assert options["region_name"] == "auto"
        assert options["custom_domain"] == "media.example.co.uk"
        assert options["querystring_auth"] is False
        assert options["querystring_expire"] == 900
        assert media_origin(storage) == "https://media.example.co.uk"
        assert not media_urls_expire(storage)

    @pytest.mark.parametrize(
        ("env", "message"),
        [
            ({"AWS_S3_ENDPOINT_URL": "minio.internal:9000"}, "AWS_S3_ENDPOINT_URL"),
            ({"AWS_S3_CUSTOM_DOMAIN": "https://media.example.co.uk"}, "without https://"),
            ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "AWS_SECRET_ACCESS_KEY"),
            ({"AWS_QUERYSTRING_AUTH": "maybe"}, "AWS_QUERYSTRING_AUTH must be true or false"),
            ({"AWS_QUERYSTRING_EXPIRE": "1h"}, "AWS_QUERYSTRING_EXPIRE must be a whole number"),
        ],
    )
    def test_malformed_values_stop_start_up_naming_the_variable(self, env, message):
        with pytest.raises(ImproperlyConfigured, match=message):
            media_storage_from_env({**BUCKET_ONLY, **env})

    @pytest.mark.parametrize(
        "env",
        [
            {},
            {"AWS_S3_REGION_NAME": "eu-west-2"},
            {"AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
            {"AWS_S3_ENDPOINT_URL": "https://ams3.digitaloceanspaces.com"},
            {"AWS_S3_CUSTOM_DOMAIN": "media.example.co.uk"},
        ],
    )
    def test_the_allowed_image_origin_is_where_the_storage_points(self, aws_test_credentials, env):
        """The origin added to the Content-Security-Policy's img-src is the one in the URLs
        the configured storage really writes into pages (signing happens offline)."""
        storage = media_storage_from_env({**BUCKET_ONLY, **env})
        backend = import_string(storage["BACKEND"])(**storage["OPTIONS"])
        url = urlsplit(backend.url("images/photo.fill-80x60.png"))
        assert f"{url.scheme}://{url.netloc}" == media_origin(storage)

    def test_signed_urls_outlive_every_cached_copy_of_a_page(self):
        """A page holding signed image URLs may be served from Redis for PAGE_CACHE_TIMEOUT,
        then by a CDN for s-maxage plus stale-while-revalidate, then by a browser for max-age.
        (The per-process layer, which has no age limit, is switched off: see base settings.)"""
        expire = media_storage_from_env(BUCKET_ONLY)["OPTIONS"]["querystring_expire"]
        directives = dict(
            part.strip().split("=")
            for part in PAGE_CACHE_DEFAULTS["PAGE_CACHE_CONTROL"].split(",")
            if "=" in part
        )
        longest_copy = PAGE_CACHE_DEFAULTS["PAGE_CACHE_TIMEOUT"] + sum(
            int(directives[name]) for name in ("s-maxage", "stale-while-revalidate", "max-age")
        )
        assert expire > longest_copy


# --------------------------------------------------------------------------------------------
# Against a real S3 server


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free port of 127.0.0.1, for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, aws_test_credentials):
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return name, client


def _media_in_bucket(bucket_name, s3_endpoint, **env):
    """Switch the default storage to the bucket as the settings would from these variables.
    Changing STORAGES makes Django drop its storage instances (django.test.signals), so
    Wagtail's image and document fields write through the new one."""
    storage = media_storage_from_env(
        {"AWS_STORAGE_BUCKET_NAME": bucket_name, "AWS_S3_ENDPOINT_URL": s3_endpoint, **env}
    )
    return override_settings(STORAGES={"default": storage, "staticfiles": _STATICFILES})


_STATICFILES = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _png(width=120, height=90):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _keys(client, bucket_name):
    return sorted(
        item["Key"] for item in client.list_objects_v2(Bucket=bucket_name).get("Contents", [])
    )


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(
        "media-admin", "media-admin@example.test", "correct-horse-battery-staple"
    )
    sign_in_with_second_factor(client, user)
    return client


@pytest.mark.django_db
class TestMediaInABucket:
    def test_an_uploaded_image_and_its_rendition_live_in_the_bucket(
        self, admin_client, bucket, s3_endpoint
    ):
        bucket_name, client = bucket
        with _media_in_bucket(bucket_name, s3_endpoint):
            response = admin_client.post(
                "/admin/images/add/",
                {"title": "Hero", "file": SimpleUploadedFile("hero.png", _png(), "image/png")},
            )
            assert response.status_code == 302
            image = get_image_model().objects.get(title="Hero")
            assert default_storage.__class__.__name__ == "MediaStorage"
            assert _keys(client, bucket_name) == [image.file.name]
            assert image.file.name.startswith("original_images/hero")

            rendition = image.get_rendition("fill-80x60")
            url = rendition.url

        assert rendition.file.name.startswith("images/hero")
        assert rendition.file.name in _keys(client, bucket_name)
        stored = client.get_object(Bucket=bucket_name, Key=rendition.file.name)
        assert stored["CacheControl"] == IMAGE_CACHE_CONTROL
        assert stored["ContentType"] == "image/png"
        # The URL a page would show points at the bucket on the endpoint, signed, and a
        # browser following it gets the 80x60 image.
        assert url.startswith(f"{s3_endpoint}/{bucket_name}/images/hero")
        assert "X-Amz-Signature=" in url
        with urllib.request.urlopen(url, timeout=10) as fetched:  # noqa: S310 - our own server
            assert PILImage.open(io.BytesIO(fetched.read())).size == (80, 60)

    def test_behind_a_cdn_rendition_urls_use_its_domain(self, db, bucket, s3_endpoint):
        bucket_name, client = bucket
        with _media_in_bucket(bucket_name, s3_endpoint, AWS_S3_CUSTOM_DOMAIN="media.example.test"):
            image = get_image_model().objects.create(
                title="Card", file=SimpleUploadedFile("card.png", _png(), "image/png")
            )
            rendition = image.get_rendition("width-40")
            url = rendition.url
        assert rendition.file.name in _keys(client, bucket_name)
        assert url == f"https://media.example.test/{rendition.file.name}"

    def test_upload_limits_still_apply_and_nothing_reaches_the_bucket(
        self, admin_client, bucket, s3_endpoint, settings
    ):
        bucket_name, client = bucket
        big_image = _png() + b"\0" * settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
        big_document = b"%PDF-1.4\n" + b"0" * settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
        refused = [
            ("/admin/images/add/", "big.png", big_image),
            ("/admin/images/add/", "page.png", b"<html></html>"),
            ("/admin/documents/add/", "big.pdf", big_document),
            ("/admin/documents/add/", "page.html", b"<script>alert(1)</script>"),
        ]
        with _media_in_bucket(bucket_name, s3_endpoint):
            for path, name, content in refused:
                response = admin_client.post(
                    path, {"title": name, "file": SimpleUploadedFile(name, content)}
                )
                assert response.status_code == 200
                assert response.context["form"].errors["file"]
        assert not get_image_model().objects.exists()
        assert not get_document_model().objects.exists()
        assert _keys(client, bucket_name) == []

    def test_documents_still_download_as_attachments_through_the_site(
        self, admin_client, bucket, s3_endpoint
    ):
        bucket_name, client = bucket
        content = b"%PDF-1.4 claim pack"
        with _media_in_bucket(bucket_name, s3_endpoint):
            response = admin_client.post(
                "/admin/documents/add/",
                {
                    "title": "Claim pack",
                    "file": SimpleUploadedFile("claim-pack.pdf", content, "application/pdf"),
                },
            )
            assert response.status_code == 302
            document = get_document_model().objects.get()
            # Links go to the site's serve view, never to the bucket.
            assert document.url == f"/documents/{document.pk}/claim-pack.pdf"
            download = admin_client.get(document.url)
            body = b"".join(download.streaming_content)

        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["Content-Security-Policy"] == "default-src 'none'"
        assert download["X-Content-Type-Options"] == "nosniff"
        assert body == content
        # The object itself says "attachment" too, should anyone reach it directly.
        stored = client.get_object(Bucket=bucket_name, Key=document.file.name)
        assert document.file.name.startswith("documents/claim-pack")
        assert stored["ContentDisposition"] == "attachment"
        assert stored["CacheControl"] == DOCUMENT_CACHE_CONTROL
        assert stored["Body"].read() == content

    def test_a_second_upload_with_the_same_name_keeps_the_first(self, db, bucket, s3_endpoint):
        bucket_name, client = bucket
        with _media_in_bucket(bucket_name, s3_endpoint):
            first, second = (
                get_document_model().objects.create(
                    title=f"Notes {n}",
                    file=SimpleUploadedFile("notes.txt", f"version {n}".encode(), "text/plain"),
                )
                for n in (1, 2)
            )
        assert first.file.name != second.file.name
        assert client.get_object(Bucket=bucket_name, Key=first.file.name)["Body"].read() == (
            b"version 1"
        )
