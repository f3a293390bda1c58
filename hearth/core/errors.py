"""One error type for broken business rules, mapped to one JSON body and one form error.

A rule raises :class:`DomainError` with a stable machine code (a per-app ``StrEnum``), a
translatable message and, where it applies, the input field at fault. The API handler turns it
into ``{"error": {"code", "message", "fields"}}`` with a 4xx status; forms show the message
beside the field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class CoreErrorCode(StrEnum):
    INVALID = "invalid"
    MALFORMED_JSON = "malformed_json"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    NOT_AUTHENTICATED = "not_authenticated"
    THROTTLED = "throttled"
    TOO_LARGE = "too_large"
    CSRF_FAILED = "csrf_failed"
    SERVER_ERROR = "server_error"


class DomainError(Exception):
    """A business rule said no. ``status`` is the HTTP status the API answers with."""

    status: int = 400

    def __init__(
        self,
        code: StrEnum | str,
        message: Any,
        *,
        field: str | None = None,
        fields: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = str(code)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, str(message))
        if status is not None:
            self.status = status

    def as_body(self) -> dict[str, Any]:
        return error_body(self.code, str(self.message), self.fields)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The error body of DESIGN.md."""
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}
