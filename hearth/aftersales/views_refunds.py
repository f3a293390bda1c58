"""Finance's refund queue (issue #13 item 4; TOS-22, TOS-24): returns awaiting refund by due date,
late ones flagged, each with a refund button. Finance only, past the second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.aftersales import refunds
from hearth.aftersales.models import Rma
from hearth.core import clock
from hearth.core.errors import DomainError

FINANCE_ROLES = ("finance",)


def finance_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff past the second factor holding the finance role; others get a 403 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_passed(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not any(has_role(request.user, key) for key in FINANCE_ROLES):
            return render(
                request,
                "orders/phone/forbidden.html",
                {"message": _("Only finance refunds returns.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


@finance_only
def refund_queue(request: HttpRequest) -> HttpResponse:
    rows = refunds.refund_queue(today=clock.today_eastern())
    return render(
        request,
        "aftersales/backoffice/refunds.html",
        {"rows": rows, "late": sum(1 for r in rows if r.late)},
    )


@finance_only
@require_POST
def refund(request: HttpRequest, number: str) -> HttpResponse:
    rma = Rma.objects.filter(number=number).first()
    if rma is None:
        raise Http404
    try:
        note = refunds.refund_rma(rma=rma, actor=request.user, at=clock.now())
    except DomainError as exc:
        messages.error(request, f"{rma.number}: {exc.message}")
    else:
        messages.success(
            request,
            _("%(rma)s refunded: %(amount)s CAD, credit note %(note)s emailed to the customer.")
            % {"rma": rma.number, "amount": f"{note.total:.2f}", "note": note.number},
        )
    return HttpResponseRedirect(reverse("aftersales:refund_queue"))
