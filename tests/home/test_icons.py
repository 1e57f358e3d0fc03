"""The site's icons and web app manifest: linked from every page, served by whitenoise with
long cache lifetimes, and /favicon.ico answers rather than 404s."""

import json
import re
import shutil
from pathlib import Path

import pytest
from django.templatetags.static import static

from home import site_root
from home.staticfiles import ManifestStaticFilesStorage

HOME_STATIC = Path(site_root.__file__).resolve().parent / "static"
ICON_LINKS = {
    ("icon", "image/svg+xml"): "home/icons/icon.svg",
    ("icon", "image/png"): "home/icons/favicon-32.png",
    ("apple-touch-icon", None): "home/icons/apple-touch-icon.png",
    ("manifest", None): "home/site.webmanifest",
}


def _links(html):
    """(rel, type) -> href of every <link> in the page's head."""
    head = html.split("</head>", 1)[0]
    found = {}
    for tag in re.findall(r"<link [^>]*>", head):
        rel = re.search(r'rel="([^"]+)"', tag).group(1)
        kind = re.search(r'type="([^"]+)"', tag)
        found[(rel, kind.group(1) if kind else None)] = re.search(r'href="([^"]+)"', tag).group(1)
    return found


def test_favicon_ico_is_served_at_the_root_for_a_week(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response["Cache-Control"] == "public, max-age=604800"
    body = b"".join(response.streaming_content)
    # An ICO file (reserved 0, type 1) holding the 16, 32 and 48 pixel icons.
    assert body[:4] == b"\x00\x00\x01\x00"
    assert int.from_bytes(body[4:6], "little") == 3


@pytest.mark.parametrize("path", ["/", "/case-studies/", "/about/", "/search/", "/cookies/"])
def test_every_reader_page_links_the_icons_and_manifest(client, demo_site, path):
    html = client.get(path).content.decode()
    links = _links(html)
    for key, name in ICON_LINKS.items():
        assert links.get(key) == static(name), f"{path}: no {key} link"
    assert '<meta name="theme-color" content="#083a66">' in html
    for href in (links[key] for key in ICON_LINKS):
        response = client.get(href)
        assert response.status_code == 200, href


def test_the_503_page_links_the_icons_without_a_database():
    from django.template.loader import render_to_string

    html = render_to_string("503.html", {"contact": {}})
    assert _links(html)[("icon", "image/svg+xml")] == static("home/icons/icon.svg")


def test_manifest_names_icons_that_exist(client):
    response = client.get(static("home/site.webmanifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(b"".join(response.streaming_content))
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert {"any", "192x192", "512x512"} <= set(sizes)
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert (HOME_STATIC / "home" / icon["src"]).is_file(), icon["src"]


@pytest.fixture
def collected_static(tmp_path, settings):
    """home's static files collected as `collectstatic` does with production's storage
    (hashed names and a manifest), and whitenoise serving them from there."""
    shutil.copytree(HOME_STATIC, tmp_path, dirs_exist_ok=True)
    storage = ManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    paths = {
        str(path.relative_to(tmp_path)): (storage, str(path.relative_to(tmp_path)))
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    for _name, _hashed, processed in storage.post_process(paths):
        assert not isinstance(processed, Exception), processed
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "home.staticfiles.ManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    return tmp_path


def test_icons_and_manifest_are_hashed_and_immutable_in_production(client, collected_static):
    manifest_url = static("home/site.webmanifest")
    assert re.fullmatch(r"/static/home/site\.[0-9a-f]{12}\.webmanifest", manifest_url)
    response = client.get(manifest_url)
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    manifest = json.loads(b"".join(response.streaming_content))
    for icon in manifest["icons"]:
        # Relative to the manifest, hashed by the storage like URLs in CSS.
        assert re.fullmatch(r"icons/[\w-]+\.[0-9a-f]{12}\.(png|svg)", icon["src"]), icon
        icon_response = client.get("/static/home/" + icon["src"])
        assert icon_response.status_code == 200, icon["src"]
        assert "immutable" in icon_response["Cache-Control"]
    for name in ICON_LINKS.values():
        response = client.get(static(name))
        assert response.status_code == 200
        assert "max-age=315360000" in response["Cache-Control"], name
