"""The returns bench (warehouse role past the second factor): scan an RMA's label, then each
unit's serial; a mismatch is refused with its reason and holds the unit for care; then the
inspection form of each received unit. Thin: parse, call :mod:`hearth.aftersales.receiving`,
render; every refusal shown beside its field."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.aftersales import receiving, selectors_receiving
from hearth.aftersales.forms_receiving import InspectionForm, LabelScanForm, SerialScanForm
from hearth.aftersales.models import Rma, ScanOutcome
from hearth.core import clock
from hearth.core.errors import DomainError


def staff_only(
    roles: tuple[str, ...], message: Any
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Staff past the second factor holding one of ``roles`` (or the administrator)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not second_factor_passed(request):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not any(has_role(request.user, key) for key in (*roles, "administrator")):
                return render(
                    request,
                    "fulfilment/warehouse/forbidden.html",
                    {"message": message},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


warehouse_only = staff_only(("warehouse",), gettext_lazy("Only the warehouse works here."))


def _rma(number: str) -> Rma:
    rma = Rma.objects.filter(number=number.upper()).first()
    if rma is None:
        raise Http404
    return rma


def _field(error: DomainError, form: Any, default: str) -> str | None:
    name = next(iter(error.fields), default)
    return name if name in form.fields else None


@warehouse_only
@require_http_methods(["GET", "POST"])
def returns(request: HttpRequest) -> HttpResponse:
    """Step 1: scan the RMA's label (its number or the return label's tracking code)."""
    form = LabelScanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rma = receiving.find_rma(form.cleaned_data["label"])
                receiving.check_receivable(rma)
                return HttpResponseRedirect(reverse("aftersales:bench", args=[rma.number]))
            except DomainError as error:
                form.add_error(_field(error, form, "label"), str(error.message))
                status = error.status
    return render(
        request,
        "aftersales/warehouse/returns.html",
        {"form": form, "to_inspect": selectors_receiving.to_inspect()},
        status=status,
    )


@warehouse_only
@require_http_methods(["GET", "POST"])
def bench(request: HttpRequest, number: str) -> HttpResponse:
    """Step 2: scan each unit's serial; then inspect each received unit."""
    rma = _rma(number)
    form = SerialScanForm(request.POST or None)
    status = 200
    scan = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                scan = receiving.receive_unit(
                    rma=rma, serial=form.cleaned_data["serial"], actor=request.user, at=clock.now()
                )
                form = SerialScanForm()
                # A mismatch is a refusal (the unit is not received) that holds the RMA.
                status = 409 if scan.outcome == ScanOutcome.HELD else 200
            except DomainError as error:
                form.add_error(_field(error, form, "serial"), str(error.message))
                status = error.status
        rma.refresh_from_db()
    return render(
        request,
        "aftersales/warehouse/bench.html",
        {"bench": selectors_receiving.bench(rma), "form": form, "scan": scan},
        status=status,
    )


@warehouse_only
@require_http_methods(["GET", "POST"])
def inspect(request: HttpRequest, number: str, serial: str) -> HttpResponse:
    """Step 3: what the warehouse found on one received unit, and where it goes."""
    rma = _rma(number)
    unit = rma.units.filter(serial=serial.upper()).first()
    if unit is None:
        raise Http404
    form = InspectionForm(request.POST or None, kind=rma.kind)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                receiving.inspect_unit(
                    rma_unit=unit,
                    condition=data["condition"] or None,
                    original_packaging=data["original_packaging"],
                    exclusions=data.get("exclusions", []),
                    disposition=data["disposition"],
                    note=data["note"],
                    actor=request.user,
                    at=clock.now(),
                )
                return HttpResponseRedirect(reverse("aftersales:bench", args=[rma.number]))
            except DomainError as error:
                form.add_error(_field(error, form, "disposition"), str(error.message))
                status = error.status
    return render(
        request,
        "aftersales/warehouse/inspect.html",
        {"rma": rma, "unit": unit, "form": form},
        status=status,
    )
