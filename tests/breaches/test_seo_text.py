"""The SEO head's description text (breaches/templatetags/seo_tags.py): truncated_chars gives
exactly what Django's Truncator gives, for texts around the limit, combining characters and
characters that NFC normalisation composes or expands."""

import random

import pytest
from django.utils.text import Truncator

from breaches.templatetags.seo_tags import truncated_chars

CASES = [
    "",
    "a",
    "x" * 299,
    "x" * 300,
    "x" * 301,
    "é" * 300,
    "e\u0301" * 200,  # composes to 200 characters
    "e\u0301" * 160,
    "\u0958" * 151,  # a composition exclusion: NFC writes two code points for each
    "\u0958" * 299,
    "Ä" * 301,
    "a" * 298 + "\u0301\u0301\u0301",
    " Tom & Jerry <b> " * 20,
]


@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_as_truncator(text):
    assert truncated_chars(text, 300) == Truncator(text).chars(300)


def test_as_truncator_for_random_texts_around_the_limit():
    chance = random.Random(17)
    alphabet = "ab \u0301\u0958éﬁ<>&Å\u212b"
    for _ in range(2000):
        text = "".join(chance.choice(alphabet) for _ in range(chance.randint(280, 320)))
        assert truncated_chars(text, 300) == Truncator(text).chars(300), repr(text)
