"""Reading a row's number from an address or a form in the desk.

Anything but ASCII digits, or a number too large for PostgreSQL's `integer` (the column type of
users', pages' and forms' keys), names no row: the caller shows nothing or a 404, where a
bare `int()` and a look-up would raise or fail in the database and answer 500. Leads' own keys
are `bigint`, but no site comes near two thousand million leads.
"""

LARGEST = 2**31 - 1


def row_id(value):
    """The number in `value`, or None if it cannot name a row."""
    value = str(value or "")
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= LARGEST else None
