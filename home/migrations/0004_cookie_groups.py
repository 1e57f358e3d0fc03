"""The cookie groups and cookies the site starts with (django-cookie-consent's fixture does not
load on 1.0, so they are created here). Editors change them later in the Wagtail admin."""

from django.db import migrations

GROUPS = [
    {
        "varname": "necessary",
        "name": "Necessary cookies",
        "description": (
            "These make the site work: they remember your cookie choices and protect our forms "
            "against misuse. They are always on, because the site cannot work without them, "
            "and they do not track you."
        ),
        "is_required": True,
        "is_deletable": False,
        "ordering": 0,
        "cookies": [
            (
                "cookie_consent",
                "Remembers which kinds of cookies you accepted or rejected, so we do not ask "
                "on every page.",
                "1 year",
            ),
            (
                "csrftoken",
                "Protects the forms you send us from being submitted by another website.",
                "1 year",
            ),
            (
                "sessionid",
                "Keeps staff signed in to the site's editing area. Not set for readers.",
                "2 weeks",
            ),
        ],
    },
    {
        "varname": "analytics",
        "name": "Analytics cookies",
        "description": (
            "These tell us how people use the site, such as which pages they read, so we can "
            "improve it. The information is about visits, not about you."
        ),
        "is_required": False,
        "is_deletable": True,
        "ordering": 10,
        "cookies": [
            (
                "_demo_analytics",
                "Counts the pages viewed in a visit, so we can see which case studies are read.",
                "30 minutes",
            ),
        ],
    },
    {
        "varname": "marketing",
        "name": "Marketing cookies",
        "description": (
            "These help us see which of our adverts and campaigns bring people to the site, so "
            "we spend less on the ones that do not."
        ),
        "is_required": False,
        "is_deletable": True,
        "ordering": 20,
        "cookies": [
            (
                "_demo_campaign",
                "Remembers which advert or campaign link brought you to the site.",
                "90 days",
            ),
        ],
    },
]


def create_groups(apps, schema_editor):
    CookieGroup = apps.get_model("cookie_consent", "CookieGroup")
    Cookie = apps.get_model("cookie_consent", "Cookie")
    CookieDetail = apps.get_model("home", "CookieDetail")
    for spec in GROUPS:
        spec = dict(spec)
        cookies = spec.pop("cookies")
        group, _ = CookieGroup.objects.update_or_create(varname=spec.pop("varname"), defaults=spec)
        for name, purpose, duration in cookies:
            cookie, _ = Cookie.objects.get_or_create(
                cookiegroup=group, name=name, domain="", defaults={"description": purpose}
            )
            CookieDetail.objects.get_or_create(cookie=cookie, defaults={"duration": duration})


def remove_groups(apps, schema_editor):
    CookieGroup = apps.get_model("cookie_consent", "CookieGroup")
    CookieGroup.objects.filter(varname__in=[spec["varname"] for spec in GROUPS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0003_cookie_consent_models"),
        ("cookie_consent", "0004_cookie_natural_key"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
