"""`|date` for calendar dates: Django's filter, each (date, format, language) formatted once per
process.

What it is for: a listing writes two dates per card, and Django's filter works each out
afresh (the format looked up for the language, then formatted character by character),
about 15 µs a date; the dates a site shows are a few hundred days in a handful of formats.
A calendar date's text depends on nothing else (no time zone), so the formatted text is kept,
up to _MAX_ENTRIES, and forgotten whenever a setting changes (tests: formats, language).
Datetimes and anything else go straight to Django's filter.

Load `dates` in a template to use it in place of Django's (same syntax, same output).
"""

import datetime

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.utils.translation import get_language

register = template.Library()

_MAX_ENTRIES = 4096
_formatted = {}


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter."""
    # Exactly a date: a datetime (a subclass) has a time and a zone that the text may show.
    if type(value) is not datetime.date:
        return defaultfilters.date(value, arg)
    key = (value, arg, get_language())
    try:
        return _formatted[key]
    except KeyError:
        pass
    text = defaultfilters.date(value, arg)
    if len(_formatted) >= _MAX_ENTRIES:
        _formatted.clear()
    _formatted[key] = text
    return text


@receiver(setting_changed)
def _forget(**kwargs):
    _formatted.clear()
