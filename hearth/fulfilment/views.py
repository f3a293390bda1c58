"""HTML for people: the warehouse's pages (pick list, packing by scanner, label, hand-over, stock)
for the warehouse role past the back office's second factor; the customer's tracking (My Stuff's
order page includes it; guests look an order up by number, email and postal code, rate-limited,
with one answer for every miss); the sandbox carrier's public tracking page and its webhook.

Thin: parse, call a service or selector, render. Every refusal is a DomainError shown beside the
field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.core import clock
from hearth.core.client_address import client_of
from hearth.core.errors import DomainError
from hearth.fulfilment import charts, selectors, services
from hearth.fulfilment.forms import AdjustmentForm, GuestLookupForm, ReceiptForm, ScanForm
from hearth.fulfilment.models import Shipment, StockAdjustment, StockReceipt
from hearth.orders.models import Order

WAREHOUSE_ROLES = ("warehouse", "administrator")
CHART_WEEKS = 8


def warehouse_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff past the second factor holding the warehouse role (or the administrator)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_passed(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not any(has_role(request.user, key) for key in WAREHOUSE_ROLES):
            return render(
                request,
                "fulfilment/warehouse/forbidden.html",
                {"message": _("Only the warehouse works here.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


def _order(number: str) -> Order:
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404
    return order


@warehouse_only
def home(request: HttpRequest) -> HttpResponse:
    today = clock.today_eastern()
    weeks = selectors.promises_kept(weeks=CHART_WEEKS, today=today)
    picks = selectors.pick_list(today=today, limit=0)
    receipts, adjustments = selectors.recent_stock_movements(limit=10)
    return render(
        request,
        "fulfilment/warehouse/home.html",
        {
            "picks": picks,
            "low_stock": selectors.low_stock(),
            "cases": selectors.open_exception_cases(),
            "chart": charts.promise_chart(weeks),
            "weeks": weeks,
            "receipts": receipts,
            "adjustments": adjustments,
        },
    )


@warehouse_only
def pick_list(request: HttpRequest) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    size = 100  # a packing bench works down one screen of orders at a time
    picks = selectors.pick_list(today=clock.today_eastern(), limit=size, offset=(page - 1) * size)
    return render(
        request,
        "fulfilment/warehouse/pick_list.html",
        {
            "picks": picks,
            "page": page,
            "next_page": page + 1 if page * size < picks.total else None,
            "previous_page": page - 1 if page > 1 else None,
        },
    )


@warehouse_only
@require_http_methods(["GET", "POST"])
def pack(request: HttpRequest, number: str) -> HttpResponse:
    """The packing screen: one field the scanner types into (Enter submits), focus kept there."""
    order = _order(number)
    form = ScanForm(request.POST or None)
    status = 200
    scanned = None
    if request.method == "POST" and form.is_valid():
        try:
            scanned = services.scan_serial(
                order=order, serial=form.cleaned_data["serial"], actor=request.user, at=clock.now()
            )
            form = ScanForm()
        except DomainError as error:
            form.add_error("serial", str(error.message))
            status = 400 if error.status < 500 else error.status
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "fulfilment/warehouse/pack.html",
        {"packing": selectors.packing(number), "form": form, "scanned": scanned},
        status=status,
    )


@warehouse_only
@require_POST
def create_label(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    try:
        services.create_label(order=order, actor=request.user, at=clock.now())
    except DomainError as error:
        return render(
            request,
            "fulfilment/warehouse/pack.html",
            {
                "packing": selectors.packing(number),
                "form": ScanForm(),
                "label_error": error.message,
            },
            status=error.status,
        )
    return HttpResponseRedirect(reverse("fulfilment:pack", args=[number]) + "#label")


@warehouse_only
def label_pdf(request: HttpRequest, number: str) -> HttpResponse:
    shipment = Shipment.objects.filter(order__number=number).first()
    if shipment is None:
        raise Http404
    response = HttpResponse(bytes(shipment.label_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="label-{shipment.tracking_code}.pdf"'
    return response


@warehouse_only
def packing_slip_pdf(request: HttpRequest, number: str) -> HttpResponse:
    from hearth.fulfilment.documents import render_packing_slip_pdf

    packing = selectors.packing(number)
    response = HttpResponse(render_packing_slip_pdf(packing), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="packing-slip-{number}.pdf"'
    return response


@warehouse_only
@require_POST
def ship(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    try:
        shipment, changed = services.ship_order(order=order, actor=request.user, at=clock.now())
    except DomainError as error:
        return render(
            request,
            "fulfilment/warehouse/pack.html",
            {
                "packing": selectors.packing(number),
                "form": ScanForm(),
                "label_error": error.message,
            },
            status=error.status,
        )
    return render(
        request,
        "fulfilment/warehouse/shipped.html",
        {"order": order, "shipment": shipment, "changed": changed},
        status=200 if changed else 409,
    )


@warehouse_only
@require_http_methods(["GET", "POST"])
def stock(request: HttpRequest) -> HttpResponse:
    """Receiving (quantity per SKU with a reference) and adjustments (with a reason)."""
    receipt_form = ReceiptForm(request.POST if "receive" in request.POST else None, prefix="r")
    adjust_form = AdjustmentForm(request.POST if "adjust" in request.POST else None, prefix="a")
    status = 200
    done: StockReceipt | StockAdjustment | None = None
    if request.method == "POST":
        form: Any = receipt_form if "receive" in request.POST else adjust_form
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is receipt_form:
                    done = services.receive_stock(
                        sku=data["sku"],
                        quantity=data["quantity"],
                        reference=data["reference"],
                        actor=request.user,
                        at=clock.now(),
                        rest_expected_ship_date=data["rest_expected_ship_date"],
                    )
                else:
                    done = services.adjust_stock(
                        sku=data["sku"],
                        delta=data["change"],
                        reason=data["reason"],
                        note=data["note"],
                        actor=request.user,
                        at=clock.now(),
                    )
                status = 200
                receipt_form = ReceiptForm(prefix="r")
                adjust_form = AdjustmentForm(prefix="a")
            except DomainError as error:
                field = next(iter(error.fields), "")
                if form is adjust_form and field == "quantity":
                    field = "change"
                form.add_error(field if field in form.fields else None, str(error.message))
                status = error.status
    receipts, adjustments = selectors.recent_stock_movements()
    return render(
        request,
        "fulfilment/warehouse/stock.html",
        {
            "receipt_form": receipt_form,
            "adjust_form": adjust_form,
            "done": done,
            "low_stock": selectors.low_stock(),
            "waiting": selectors.waiting_for_stock(),
            "receipts": receipts,
            "adjustments": adjustments,
        },
        status=status,
    )


# --- The customer's tracking.


def _client(request: HttpRequest) -> str:
    return services.client_key(client_of(request))


def _guest_credit_notes(order: Any) -> list[tuple[Any, str]]:
    """The order's credit notes with their signed guest links (shown only after the look-up)."""
    from hearth.orders.guest_links import credit_note_token

    return [(note, credit_note_token(note)) for note in order.credit_notes.order_by("sequence")]


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """A guest finds an order by number, email and postal code; every miss gets one answer."""
    initial = {"number": request.GET.get("number", "")}
    form = GuestLookupForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.count_lookup(client=_client(request), at=clock.now())
            except DomainError as error:
                form.add_error(None, str(error.message))
                return render(request, "fulfilment/track.html", context, status=error.status)
            order = selectors.guest_order(**form.cleaned_data)
            if order is None:
                form.add_error(
                    None,
                    _(
                        "We found no order with these details. Check the order number, the "
                        "email address and the postal code it was shipped to."
                    ),
                )
                status = 404
            else:
                context.update(
                    order=order,
                    tracking=selectors.tracking_for(order),
                    credit_notes=_guest_credit_notes(order),
                )
                status = 200
    return render(request, "fulfilment/track.html", context, status=status)


def carrier_tracking(request: HttpRequest, carrier: str, code: str) -> HttpResponse:
    """The sandbox carrier's public tracking page: events of a tracking code, no personal data."""
    events = selectors.carrier_events(carrier_key=carrier, tracking_code=code)
    if events is None:
        raise Http404
    return render(request, "fulfilment/carrier_tracking.html", {"code": code, "events": events})


@csrf_exempt
@require_POST
def carrier_events(request: HttpRequest, carrier: str) -> JsonResponse:
    """A carrier's signed tracking events (HMAC-SHA256 in ``X-Carrier-Signature``)."""
    try:
        recorded = services.record_carrier_events(
            carrier_key=carrier,
            body=request.body,
            signature=request.headers.get("X-Carrier-Signature", ""),
            at=clock.now(),
        )
    except DomainError as error:
        return JsonResponse(error.as_body(), status=error.status)
    return JsonResponse({"recorded": len(recorded)}, status=200)
