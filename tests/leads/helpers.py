"""Reading the call-back form out of a rendered page, the way a browser would."""

from html.parser import HTMLParser

from leads.models import Lead


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside = False
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-callback-form" in attrs:
            self.inside = True
            self.action = attrs.get("action")
        elif self.inside and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def read_callback_form(html):
    """The form's action and the fields a browser would send before the reader types."""
    reader = _FormReader()
    reader.feed(html)
    assert reader.action, "no call-back form on the page"
    return reader.action.split("#")[0], reader.fields


GOOD_ANSWERS = {
    "full_name": "Zoë O'Brien-Łukasiewicz",
    "phone": "0121 496 0982",
    "email": "zoe@example.com",
    "callback_time": "evening",
    "privacy_ack": "on",
}


def answers(**overrides):
    return {**GOOD_ANSWERS, **overrides}


def submit_from(client, page_html, *, json=False, headers=None, **overrides):
    """Posts the page's form with good answers, as the reader's browser would."""
    action, fields = read_callback_form(page_html)
    data = {**fields, **answers(**overrides)}
    data = {key: value for key, value in data.items() if value is not None}
    extra = {"HTTP_SEC_FETCH_SITE": "same-origin", **(headers or {})}
    if json:
        extra["HTTP_ACCEPT"] = "application/json"
    return client.post(action, data, **extra)


def only_lead():
    assert Lead.objects.count() == 1
    return Lead.objects.get()
