"""Phone numbers: reading what people type, storing it as E.164, showing it as people dial it.

Every place that reads or writes a number goes through here, so a number typed any way
(`07700 900123`, `+44 7700 900123`) is stored, searched for and matched alike.
"""

import phonenumbers

# Numbers typed without a country code are read as UK numbers.
HOME_REGION = "GB"


def parse(text):
    """The number in `text`, or None when it cannot be read as one."""
    try:
        return phonenumbers.parse(text, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None


def e164(number):
    """A parsed number as stored: E.164, e.g. `+447123456789`."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def valid_e164(text):
    """The E.164 form of a real number, or None: what the call-back form accepts.

    is_valid_number, not "valid for GB": Jersey, Guernsey and Isle of Man numbers dial like
    UK ones but belong to their own regions.
    """
    number = parse(text)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return e164(number)


def possible_e164(text):
    """The E.164 form of text shaped like a phone number (a plausible length), or None: how
    the desk's search box recognises a number among names and email addresses."""
    number = parse(text)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return e164(number)


def as_e164(text):
    """The E.164 form of anything that reads as a number, or None: how a person's own number
    is matched when they ask for their leads to be erased or sent to them."""
    number = parse(text)
    return None if number is None else e164(number)


def dialled(e164_text):
    """The way a person dials a stored E.164 number: national form for UK numbers
    (`01534 440123`), international form with its `+` otherwise."""
    try:
        number = phonenumbers.parse(e164_text, None)
    except phonenumbers.NumberParseException:
        return e164_text
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
