"""Machine codes of the care app's refusals."""

from __future__ import annotations

from enum import StrEnum


class CareErrorCode(StrEnum):
    EMPTY_MESSAGE = "empty_message"
    BAD_EMAIL = "bad_email"
    CASE_CLOSED = "case_closed"
    BAD_MOVE = "case_bad_move"
    NOT_STAFF = "assignee_not_care"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    ATTACHMENT_TYPE_REFUSED = "attachment_type_refused"
    ATTACHMENT_EMPTY = "attachment_empty"
    UNKNOWN_TEMPLATE = "unknown_reply_template"
    THROTTLED = "support_throttled"
