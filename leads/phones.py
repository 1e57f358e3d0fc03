"""Phone numbers as people read and dial them."""

import phonenumbers


def dialled(e164):
    """The way a person dials a stored E.164 number: national form for UK numbers
    (`01534 440123`), international form with its `+` otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
