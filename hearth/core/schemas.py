"""The API's one error body (DESIGN.md), as the OpenAPI schema every operation's 4xx names."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class ErrorDetail(Schema):
    code: str = Field(description="A stable machine code, e.g. invalid, not_found, csrf_failed.")
    message: str = Field(description="What went wrong, in the request's language.")
    fields: dict[str, str] = Field(
        description="Each input field at fault (a dotted path such as lines.0.quantity) and why."
    )


class ErrorOut(Schema):
    error: ErrorDetail
