"""The one HTTP API: OpenAPI 3.1 at /api/v1/openapi.json, interactive docs at /api/v1/docs.

Each app owns a ``router`` in its ``api.py``; this module mounts them and maps every error to the
error body of DESIGN.md: ``{"error": {"code", "message", "fields"}}`` with a 4xx status.
Malformed JSON and schema violations are 400s; a broken business rule is the DomainError's status.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from pydantic import Field

from hearth.core.errors import CoreErrorCode, DomainError, error_body
from hearth.core.schemas import ErrorOut

# (mount prefix, module that defines `router`). Add a line when an app grows an API.
ROUTERS: list[tuple[str, str]] = [
    ("/accounts/", "hearth.accounts.api"),
    ("/tax/", "hearth.tax.api"),
    ("/fulfilment/", "hearth.fulfilment.api"),
    ("/aftersales/", "hearth.aftersales.api"),
    ("/privacy/", "hearth.privacy.api"),
    ("/catalog/", "hearth.catalog.api"),
    ("/", "hearth.devices.api"),
    ("/partners/", "hearth.devices.partners_api"),
    ("/checkout/", "hearth.checkout.api"),
]

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
# The 4xx every operation of a kind can answer, whatever its own code declares.
_COMMON_ERRORS = {
    400: "Invalid input: a field missing, of the wrong type or out of bounds, a NUL "
    "character, or malformed JSON. `fields` names each field at fault.",
    401: "Not authenticated.",
    403: "Not allowed; or a call with the session cookie that changes something sent no "
    "valid CSRF token (`csrf_failed`).",
    404: "No such resource, or not the caller's (the same answer).",
    413: "The request body is too large (`too_large`).",
}
_UNSAFE = {"post", "put", "patch", "delete"}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """List on every operation the 4xx it can answer, each with the error body's schema.

    Every operation: 400 (the query string is checked on all of them). Authenticated: 401 and
    403. State-changing: 403 (CSRF) and 413. A path parameter: 404. What an operation declares
    itself is kept."""
    schema.setdefault("components", {}).setdefault("schemas", {}).update(
        ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs")
    )
    schema["components"]["schemas"]["ErrorOut"] = ErrorOut.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    schema["components"]["schemas"]["ErrorOut"].pop("$defs", None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            codes = {400}
            if operation.get("security"):
                codes |= {401, 403}
            if method in _UNSAFE:
                codes |= {403, 413}
            if "{" in path:
                codes.add(404)
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses}  # ninja keys them by int
            for code in sorted(codes - declared):
                responses.setdefault(
                    code,
                    {
                        "description": _COMMON_ERRORS[code],
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
    return schema


class HearthAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema


api = HearthAPI(
    title="Hearth API",
    version="1",
    description=(
        'Hearth\'s HTTP API. Amounts are decimal strings with two places ("199.00"); dates are '
        "ISO 8601; timestamps must carry a UTC offset. Every error answers "
        '`{"error": {"code": ..., "message": ..., "fields": {...}}}` with a 4xx status.\n\n'
        "**Browser clients and CSRF.** A call that carries the session cookie (`sessionid`) and "
        "changes something (POST, PUT, PATCH, DELETE) must send a CSRF token in the "
        "`X-CSRFToken` header, else it answers 403 `csrf_failed`. Get the token with "
        '`GET /api/v1/csrf`: it answers `{"csrf_token": ...}` and sets the `csrftoken` cookie '
        "(HttpOnly, so scripts read the token from the answer, not the cookie). Send both back; "
        "the token stays valid for the session (sign-in rotates it: ask again after signing "
        "in). A request with an `Origin` header must come from this site or "
        "`CSRF_TRUSTED_ORIGINS`. Calls authenticated with `Authorization: Bearer` (devices, "
        "partners) carry no cookie authority and need no token."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

for prefix, module in ROUTERS:
    api.add_router(prefix, import_module(module).router)


class CsrfOut(Schema):
    csrf_token: str = Field(description="Send it in the X-CSRFToken header.")


@api.get("/csrf", response=CsrfOut, tags=["session"], summary="A CSRF token for browser clients")
def csrf_token(request: HttpRequest) -> dict[str, str]:
    """The token that a call with the session cookie sends in `X-CSRFToken` when it changes
    something; the `csrftoken` cookie is set with it."""
    return {"csrf_token": get_token(request)}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'payload', 'lines', 0, 'unit_price') -> 'lines.0.unit_price'."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
        # ninja wraps a body schema in the parameter's name ("payload"); drop that wrapper.
        # A missing body altogether ("body", "payload") is reported as "body".
        if parts and parts[0] in {"payload", "data", "body"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


def _clean_message(message: str) -> str:
    prefix = "Value error, "
    return message[len(prefix) :] if message.startswith(prefix) else message


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        path = _field_path(err.get("loc", ()))
        fields.setdefault(path, _clean_message(str(err.get("msg", _("Invalid value.")))))
    return fields


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = validation_fields(list(exc.errors))
    first = next(iter(fields.items()), ("body", _("Invalid input.")))
    message = _("Invalid input: %(field)s: %(reason)s") % {"field": first[0], "reason": first[1]}
    return api.create_response(
        request, error_body(CoreErrorCode.INVALID, message, fields), status=400
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_body(), status=exc.status)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = error_body(CoreErrorCode.NOT_AUTHENTICATED, _("Authentication required."))
    return api.create_response(request, body, status=401)


@api.exception_handler(AuthorizationError)
def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    body = error_body(CoreErrorCode.PERMISSION_DENIED, _("You may not do this."))
    return api.create_response(request, body, status=403)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        body = error_body(
            CoreErrorCode.MALFORMED_JSON,
            _("The request body is not valid JSON."),
            {"body": _("Send a JSON object.")},
        )
    else:
        body = error_body(CoreErrorCode.INVALID, str(exc))
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    body = error_body(CoreErrorCode.NOT_FOUND, _("Not found."))
    return api.create_response(request, body, status=404)
