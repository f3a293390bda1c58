"""Logs keep no full IP address (PP-2): IPv4 cut to its /24, IPv6 to its /48.

``TruncateIPFilter`` rewrites every record's message (and, for gunicorn's access log, its
atoms) before any handler writes it: ``203.0.113.77`` becomes ``203.0.113.0``,
``2001:db8:85a3:8d3:1319:8a2e:370:7348`` becomes ``2001:db8:85a3::``. It is on every handler of
Django's LOGGING (settings.py) and of gunicorn's error and access logs (hearth/gunicorn.conf.py).
How long the logs are kept is declared in privacy/data/retention.toml (``server_logs``).
"""

from __future__ import annotations

import ipaddress
import logging
import re

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# Candidates only; ipaddress decides (a time such as 12:30:45 is no IPv6 address).
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:)[0-9A-Fa-f:]{2,39}(?![0-9A-Za-z:.])"
)


def _v4(match: re.Match[str]) -> str:
    parts = match.groups()
    if any(int(p) > 255 for p in parts):
        return match.group(0)
    return f"{parts[0]}.{parts[1]}.{parts[2]}.0"


def _v6(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return text
    network = ipaddress.IPv6Network((int(address) >> 80 << 80, 48))
    return str(network.network_address)


def truncate_ips(text: str) -> str:
    return _IPV6.sub(_v6, _IPV4.sub(_v4, text))


class TruncateIPFilter(logging.Filter):
    """Rewrites the record so no handler or formatter sees a full IP."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # gunicorn's access log: atoms by name
            record.args = {
                k: truncate_ips(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
            record.msg = truncate_ips(str(record.msg))
            return True
        message = record.getMessage()
        record.msg, record.args = truncate_ips(message), None
        return True


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# Attributes a caller might pass with ``extra=``: their values never reach a log line. (A
# LogRecord's own attributes, such as ``name``, the logger's, are never touched.)
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "full_name",
        "phone",
        "address",
        "postal_code",
        "password",
        "card_number",
        "cvc",
        "token",
    }
)
REMOVED = "[removed]"


def mask_emails(text: str) -> str:
    """``alex@example.com`` becomes ``[email]@example.com``: the domain helps, the person not."""
    return _EMAIL.sub(lambda m: f"[email]@{m.group(1)}", text)


class PersonalDataFilter(logging.Filter):
    """Email addresses in messages and tracebacks masked; personal ``extra=`` values removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = mask_emails(message), None
        for name in (PERSONAL_FIELDS & record.__dict__.keys()) - _RECORD_ATTRIBUTES:
            setattr(record, name, REMOVED)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_emails(truncate_ips(record.exc_text))
        return True
