"""My Stuff pages for households (PP-17): see products and tier, change tier, unregister; and
the emailed confirmation link that links a registration to the account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.devices import selectors, services
from hearth.devices.models import Tier


@login_required
def my_devices(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "devices/my_devices.html",
        {"households": selectors.households_of(request.user), "tiers": Tier.choices},
    )


@login_required
@require_POST
def change_tier(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.households_of(request.user).filter(pk=household_id).first()
    if household is None:
        raise Http404
    tier = request.POST.get("tier", "")
    try:
        services.change_tier(
            household=household,
            tier=tier,
            at=clock.now(),
            actor=request.user,
            source="web:my-stuff/devices",
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if tier == Tier.DECLINE:
            messages.success(request, _("The household is unregistered."))
        else:
            messages.success(request, _("Your choice is saved."))
    return redirect("devices:my_devices")


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    household = services.household_for_confirmation(token)
    if household is None:
        return render(request, "devices/confirm.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.confirm_registration(token=token, at=clock.now(), actor=request.user)
        return render(request, "devices/confirm.html", {"done": True, "household": household})
    return render(request, "devices/confirm.html", {"household": household})
