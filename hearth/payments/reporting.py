"""Django's error reports never carry a card number (PP-10).

``CardSafeExceptionReporterFilter`` (``DEFAULT_EXCEPTION_REPORTER_FILTER``) is active even with
DEBUG on, masks the POST parameters views mark with ``sensitive_post_parameters`` (the sandbox
card pages mark ``card_number`` and ``cvc``), and, as a second line, replaces any run of 12 to 19
digits (optionally separated by spaces or dashes) in POST values and in the traceback's frame
variables, whichever function they sit in.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter

from hearth.payments.rules import luhn_valid

PAN_LIKE = re.compile(r"(?<!\d)(?:\d[ \-]?){11,18}\d(?!\d)")
MASK = "[card number removed]"


def mask_card_numbers(text: str) -> str:
    """``text`` with every card-number-like run of digits replaced."""
    return PAN_LIKE.sub(MASK, text)


class CardSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if request is None or not isinstance(params, MultiValueDict):
            return params
        cleansed = params.copy()
        for key, values in params.lists():
            cleansed.setlist(key, [mask_card_numbers(str(v)) for v in values])
        return cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        out = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            try:
                shown = value if isinstance(value, str) else repr(value)
            except Exception:  # the reporter shows its own placeholder
                shown = ""
            if PAN_LIKE.search(shown):
                value = mask_card_numbers(shown)
            out.append((name, value))
        return out


# In log lines, a card number stands apart: not inside an id ("88d12345-6789-..." of a UUID) and
# passing the Luhn check, so task ids and order numbers stay readable.
_LOG_PAN = re.compile(r"(?<![\w.-])(?:\d[ \-]?){11,18}\d(?![\w.-])")


def mask_card_numbers_in_log(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return MASK if luhn_valid(digits) else match.group(0)

    return _LOG_PAN.sub(replace, text)


class CardNumberLogFilter(logging.Filter):
    """On every log handler (settings.LOGGING): a card number in a message or a traceback is
    replaced before any formatter sees it (PP-10)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = mask_card_numbers_in_log(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_card_numbers_in_log(record.exc_text)
        return True
