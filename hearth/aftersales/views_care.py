"""Customer care's after-sales pages (care role past the second factor): the queue of RMAs by
state and deadline, releasing a unit held after a serial mismatch, and one page per unit
(serial) with a search. Pages that show a person's data write one staff-read audit row (PP-10).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hearth.aftersales import receiving, selectors_receiving
from hearth.aftersales.forms_receiving import ReleaseHoldForm, UnitSearchForm
from hearth.aftersales.models import Rma, RmaState
from hearth.aftersales.views_receiving import staff_only
from hearth.catalog.rules import normalise_serial
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.privacy.staff_audit import audit_staff_read

care_only = staff_only(("care_agent",), gettext_lazy("Only customer care works here."))


@care_only
@require_GET
def rma_queue(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state is not None and state not in RmaState.values:
        state = None
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    size = selectors_receiving.QUEUE_SIZE
    rows, total = selectors_receiving.rma_queue(
        state=state, today=clock.today_eastern(), offset=(page - 1) * size
    )
    audit_staff_read(request, model=Rma)
    return render(
        request,
        "aftersales/care/queue.html",
        {
            "rows": rows,
            "total": total,
            "state": state,
            "states": RmaState.choices,
            "page": page,
            "next_page": page + 1 if page * size < total else None,
            "previous_page": page - 1 if page > 1 else None,
            "release_form": ReleaseHoldForm(),
        },
    )


def _resolve_hold(request: HttpRequest, number: str, *, close: bool) -> HttpResponse:
    rma = Rma.objects.filter(number=number.upper()).first()
    if rma is None:
        raise Http404
    form = ReleaseHoldForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            service = receiving.close_hold if close else receiving.release_hold
            service(rma=rma, note=form.cleaned_data["note"], actor=request.user, at=clock.now())
            return HttpResponseRedirect(reverse("aftersales:rma_queue") + "?state=held")
        except DomainError as error:
            form.add_error("note", str(error.message))
            status = error.status
    return render(
        request,
        "aftersales/care/release.html",
        {"rma": rma, "form": form, "close": close},
        status=status,
    )


@care_only
@require_POST
def release_hold(request: HttpRequest, number: str) -> HttpResponse:
    """Care accepts the held parcel against the RMA: it goes on to inspection."""
    return _resolve_hold(request, number, close=False)


@care_only
@require_POST
def close_hold(request: HttpRequest, number: str) -> HttpResponse:
    """Care refuses the held parcel: the RMA is closed, the customer told why."""
    return _resolve_hold(request, number, close=True)


@care_only
@require_GET
def unit_search(request: HttpRequest) -> HttpResponse:
    form = UnitSearchForm(request.GET or None)
    status = 200
    if request.GET and form.is_valid():
        serial = normalise_serial(form.cleaned_data["serial"])
        if selectors_receiving.unit_page(serial) is not None:
            return HttpResponseRedirect(reverse("aftersales:unit", args=[serial]))
        form.add_error("serial", gettext_lazy("No unit has this serial number."))
        status = 404
    elif request.GET:
        status = 400
    return render(request, "aftersales/care/unit_search.html", {"form": form}, status=status)


@care_only
@require_GET
def unit(request: HttpRequest, serial: str) -> HttpResponse:
    page = selectors_receiving.unit_page(normalise_serial(serial))
    if page is None:
        raise Http404
    if page.order is not None:
        from hearth.orders.models import Order

        audit_staff_read(request, model=Order, object_id=str(page.order.pk))
    for rma in page.rmas:
        audit_staff_read(request, model=Rma, object_id=str(rma.pk))
    return render(
        request,
        "aftersales/care/unit.html",
        {"page": page, "search": UnitSearchForm(initial={"serial": page.serial})},
    )
