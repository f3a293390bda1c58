"""Privacy over HTTP: policies in force (public), a customer's consents, export and erasure
(signed in, session auth), and the privacy officer's request queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import AuthorizationError
from ninja.security import django_auth
from pydantic import Field

from hearth.accounts.auth import note_reauth, reauth_fresh, staff_session_auth
from hearth.accounts.errors import AccountsErrorCode
from hearth.accounts.services import client_of, verify_password
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.schemas import ErrorOut
from hearth.privacy import inventory, selectors, services, staff_audit
from hearth.privacy.errors import PrivacyErrorCode
from hearth.privacy.models import ConsentKind, DataRequest, Purpose

router = Router(tags=["privacy"])

_PAGE = {"privacy": "privacy:policy", "terms": "privacy:terms", "eula": "privacy:eula"}


class PolicyVersionOut(Schema):
    kind: str
    version: str
    key: str
    title: str
    effective_at: dt.datetime
    last_updated: dt.date
    material: bool
    url: str


class PoliciesOut(Schema):
    versions: list[PolicyVersionOut]


@router.get("/policies/current", response=PoliciesOut, summary="Policy versions in force")
def policies_current(request: HttpRequest) -> dict[str, Any]:
    docs = selectors.versions_in_force(clock.now())
    return {
        "versions": [
            {
                "kind": d.kind,
                "version": d.version,
                "key": d.key,
                "title": d.localized_title,
                "effective_at": d.effective_at,
                "last_updated": d.last_updated,
                "material": d.material,
                "url": reverse(_PAGE[d.kind]),
            }
            for d in docs.values()
        ]
    }


class ConsentOut(Schema):
    purpose: str
    granted: bool
    kind: str | None
    since: dt.datetime | None
    expires_at: dt.datetime | None
    policy_version: str


class ConsentsOut(Schema):
    consents: list[ConsentOut]


class ConsentIn(Schema):
    purpose: Purpose
    granted: bool = Field(strict=True, description='A JSON true or false (not 1, not "true").')


def _consents(user: Any) -> dict[str, Any]:
    states = selectors.current_consents(at=clock.now(), user=user)
    return {
        "consents": [
            {
                "purpose": purpose,
                "granted": s.granted,
                "kind": str(s.kind) if s.kind else None,
                "since": s.since,
                "expires_at": s.expires_at,
                "policy_version": s.policy_version,
            }
            for purpose, s in states.items()
        ]
    }


@router.get("/me/consents", response=ConsentsOut, auth=django_auth, summary="My consents")
def my_consents(request: HttpRequest) -> dict[str, Any]:
    return _consents(request.user)


@router.post("/me/consents", response=ConsentsOut, auth=django_auth, summary="Grant or withdraw")
def change_consent(request: HttpRequest, payload: ConsentIn) -> dict[str, Any]:
    services.record_consent(
        purpose=payload.purpose.value,
        granted=payload.granted,
        kind=ConsentKind.EXPRESS,
        source="api:/privacy/me/consents",
        at=clock.now(),
        user=request.user,
        evidence=f"user-agent: {request.headers.get('user-agent', '')[:150]}",
        actor=request.user,
    )
    return _consents(request.user)


def _export(request: HttpRequest) -> dict[str, Any]:
    return {
        "generated_at": clock.now().isoformat(),
        "data": inventory.export_subject(request.user),
    }


@router.get(
    "/me/export",
    auth=django_auth,
    summary="All my data (JSON), within 5 minutes of entering the password again",
    description=(
        "The same re-check as the web download: answers 403 `reauth_required` unless this "
        "session entered the password again in the last 5 minutes (on the site, or by "
        "`POST /me/export` with the password)."
    ),
)
def my_export(request: HttpRequest) -> dict[str, Any]:
    if not reauth_fresh(request):
        raise DomainError(
            AccountsErrorCode.REAUTH_REQUIRED,
            _("Enter your password again to download your data."),
            field="password",
            status=403,
        )
    return _export(request)


class ExportIn(Schema):
    password: str = Field(min_length=1, max_length=256)


@router.post(
    "/me/export", auth=django_auth, summary="All my data (JSON), with the password entered again"
)
def my_export_with_password(request: HttpRequest, payload: ExportIn) -> dict[str, Any]:
    at = clock.now()
    verify_password(
        user=request.user,  # type: ignore[arg-type]
        password=payload.password,
        client=client_of(request),
        at=at,
    )
    note_reauth(request, at)
    return _export(request)


class ErasureIn(Schema):
    password: str


class ErasureOut(Schema):
    erased: bool
    request_id: int
    erased_records: int
    kept_records: int


@router.post(
    "/me/erasure",
    response={200: ErasureOut, 400: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    auth=django_auth,
    summary="Erase my data (409 while something must be kept; 429 after too many wrong passwords)",
)
def my_erasure(request: HttpRequest, payload: ErasureIn) -> dict[str, Any]:
    at = clock.now()
    # The password check counts toward the sign-in throttle, as the export's does (429 after
    # too many failures from this account or this client).
    verify_password(
        user=request.user,  # type: ignore[arg-type]
        password=payload.password,
        client=client_of(request),
        at=at,
    )
    outcome = services.request_erasure(user=request.user, at=at, actor=request.user)
    if not outcome.erased:
        when = outcome.available_on.isoformat() if outcome.available_on else _("a later date")
        reasons = " ".join(b.reason for b in outcome.blockers)
        raise DomainError(
            PrivacyErrorCode.ERASURE_BLOCKED,
            _("%(reasons)s You can ask again from %(when)s.") % {"reasons": reasons, "when": when},
            fields={
                "available_on": outcome.available_on.isoformat() if outcome.available_on else ""
            },
            status=409,
        )
    return {
        "erased": True,
        "request_id": outcome.request.pk,
        "erased_records": len(outcome.erased_items),
        "kept_records": len(outcome.kept),
    }


class RequestOut(Schema):
    id: int
    kind: str
    status: str
    received_at: dt.datetime
    deadline: dt.date
    days_left: int
    overdue: bool
    extended: bool


@router.get(
    "/requests", response=list[RequestOut], auth=staff_session_auth, summary="Request queue"
)
def request_queue(request: HttpRequest) -> list[dict[str, Any]]:
    if not request.user.has_perm("privacy.view_datarequest"):
        staff_audit.audit_refused_read(request, model=DataRequest)
        raise AuthorizationError
    staff_audit.audit_staff_read(request, model=DataRequest)
    return [
        {
            "id": row.request.pk,
            "kind": row.request.kind,
            "status": row.request.status,
            "received_at": row.request.received_at,
            "deadline": row.request.deadline,
            "days_left": row.days_left,
            "overdue": row.overdue,
            "extended": row.request.extended_at is not None,
        }
        for row in selectors.data_request_queue(at=clock.now())
    ]
