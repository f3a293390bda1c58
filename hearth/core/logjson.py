"""One JSON object per log line (issue #17 item 2): ``HEARTH_LOG_FORMAT=json``, and always under
``hearth serve``.

Each line: ``timestamp`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``,
``request_id`` (of the request being answered, else null), and ``exception`` when there is one.
The handlers' filters run before this formatter, so the message is already cleaned: IPs
truncated (``TruncateIPFilter``), card numbers and personal values removed
(``hearth.core.log_filters.PersonalDataFilter``, ``hearth.payments.reporting.CardNumberLogFilter``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from hearth.core.log_filters import truncate_ips
from hearth.core.observability import request_id_var


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        line: dict[str, object] = {
            "timestamp": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            # A traceback can quote an address from a frame: truncated like the message (the
            # filters have already cleaned exc_text when they saw the record).
            line["exception"] = truncate_ips(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)
