"""Django's error reports never carry a card number (PP-10).

``CardSafeExceptionReporterFilter`` (``DEFAULT_EXCEPTION_REPORTER_FILTER``) is active even with
DEBUG on, masks the POST parameters views mark with ``sensitive_post_parameters`` (the sandbox
card pages mark ``card_number`` and ``cvc``), and, as a second line, replaces any run of 12 to 19
digits (optionally separated by spaces or dashes) in POST values and in the traceback's frame
variables, whichever function they sit in.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter

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
