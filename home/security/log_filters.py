"""Keeps personal data out of log files.

Logs are copied to places (hosting consoles, support tickets, error trackers) that the
leads database's access rules and retention period do not reach, so nothing a person typed
about themselves, and no raw client address, may be written there. The filter is attached to
every handler in LOGGING, so it also covers third-party loggers (django-axes logs usernames
and addresses on failed sign-ins, database errors quote the offending values).

What it cannot do: recognise a bare name in free text ("Lead from Jane Doe"). Names are
caught only when labelled (`name=`, `full_name:`...), so code that logs about a lead logs
its id, never its fields.
"""

import ipaddress
import logging
import re

REDACTED = "[redacted]"

# Fields whose values are personal whatever they look like (a name has no shape to match).
PERSONAL_KEYS = (
    "full_name",
    "first_name",
    "last_name",
    "name",
    "username",
    "email",
    "phone",
    "telephone",
    "mobile",
    "address",
    "postcode",
    "ip",
    "ip_address",
    "remote_addr",
    "client_ip",
    "password",
)
_KEYS = "|".join(sorted(PERSONAL_KEYS, key=len, reverse=True))

_PATTERNS = [
    # key=value, key: value, 'key': 'value', "key": "value" and Postgres "Key (email)=(x)".
    re.compile(
        rf"""(?P<key>['"]?\b(?:{_KEYS})\b['"]?\)?\s*[:=]\s*\(?)"""
        # Unquoted values run to the next delimiter or the next `key=`, so "Jane Doe" goes whole.
        r"""(?P<value>'[^']*'|"[^"]*"|[^,;)}\]\n]+?(?=\s+[\w-]+\s*[:=]|[,;)}\]\n]|$))""",
        re.IGNORECASE,
    ),
    # Email addresses anywhere.
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # UK postcodes.
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE),
]


# Candidates that are checked before being redacted, so dates, times and version numbers
# survive: an IP address must parse as one, a phone number must have 10 to 15 digits.
_IP_CANDIDATE = re.compile(
    r"(?<![\w.:])(?:(?:\d{1,3}\.){3}\d{1,3}|(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})(?![\w.:])",
    re.IGNORECASE,
)
_PHONE_CANDIDATE = re.compile(r"(?<![\w.+-])(?:\+\d{1,3}|0)[\d ()-]{7,16}\d(?![\w.])")


def _if_ip(match: re.Match) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return REDACTED


def _if_phone(match: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return REDACTED if 10 <= digits <= 15 else match.group(0)


def redact(text: str) -> str:
    """`text` with every personal value it recognises replaced by a marker."""
    for pattern in _PATTERNS:
        if "key" in pattern.groupindex:
            text = pattern.sub(lambda m: f"{m.group('key')}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    text = _IP_CANDIDATE.sub(_if_ip, text)
    return _PHONE_CANDIDATE.sub(_if_phone, text)


class PersonalDataFilter(logging.Filter):
    """Rewrites each record so that its message, its traceback and any `extra` values carry
    no personal data. It never drops a record: a redacted line is better than none."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        for key, value in list(record.__dict__.items()):
            if key in self._STANDARD:
                continue
            if key.lower() in PERSONAL_KEYS:
                setattr(record, key, REDACTED)
            elif isinstance(value, str):
                setattr(record, key, redact(value))
        return True
