"""HTML for people: the support form (``/support/``, account or guest) and care's back office
(``/back-office/care/``: the queue by due time, a case with its thread, reply, note, assign,
close, a phone case, the weekly chart) for care agents and administrators past the second
factor. Thin: parse, call a service or selector, render; a refusal is shown beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.auth import second_factor_passed
from hearth.accounts.roles import has_role
from hearth.care import charts, policy, selectors, services
from hearth.care.forms import AssignForm, CloseForm, NoteForm, PhoneCaseForm, ReplyForm, SupportForm
from hearth.care.models import Case, Channel
from hearth.core import clock
from hearth.core.client_address import client_of
from hearth.core.errors import DomainError

CARE_ROLES = ("care_agent", "administrator")
CHART_WEEKS = 8


def _files(request: HttpRequest, name: str) -> list[services.IncomingFile]:
    """Uploaded files, read no further than one byte past the limit (the check refuses it)."""
    limit = policy.attachments().max_bytes
    return [
        services.IncomingFile(filename=f.name or "", content=f.read(limit + 1))
        for f in request.FILES.getlist(name)
    ]


def _show(form: Any, error: DomainError, rename: dict[str, str] | None = None) -> None:
    fields = error.fields or {"": str(error.message)}
    for name, message in fields.items():
        target = (rename or {}).get(name, name)
        form.add_error(target if target in form.fields else None, message)


@require_http_methods(["GET", "POST"])
def support(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    signed_in_email = getattr(user, "email", "") if user is not None else ""
    form = SupportForm(request.POST or None, request.FILES or None, signed_in_email=signed_in_email)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():  # a refused question is not counted
                    services.count_support_request(
                        client=client_of(request),
                        email=data["email"],
                        at=clock.now(),
                    )
                    case = services.open_case(
                        channel=Channel.WEB,
                        email=data["email"],
                        name=data["name"],
                        subject=data["subject"],
                        body=data["message"],
                        order_number=data["order_number"],
                        customer=user,
                        files=_files(request, "attachment"),
                        at=clock.now(),
                        actor=request.user,
                    )
            except DomainError as error:
                _show(form, error, {"body": "message"})
                status = error.status if error.status == 429 else 400
            else:
                request.session["care_sent"] = case.reference
                return HttpResponseRedirect(reverse("care:support_sent"))
    return render(request, "care/support.html", {"form": form}, status=status)


def support_sent(request: HttpRequest) -> HttpResponse:
    reference = request.session.get("care_sent")
    case = Case.objects.filter(reference=reference).first() if reference else None
    if case is None:
        return HttpResponseRedirect(reverse("care:support"))
    return render(request, "care/support_sent.html", {"case": case})


# --- Back office.


def care_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff past the second factor holding the care role (or the administrator)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_passed(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not any(has_role(request.user, key) for key in CARE_ROLES):
            return render(
                request,
                "care/backoffice/forbidden.html",
                {"message": _("Only customer care works here.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


@care_only
def queue(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    cases = selectors.queue(assigned_to=request.user if mine else None)
    return render(
        request,
        "care/backoffice/queue.html",
        {"cases": cases[:200], "mine": mine, "now": clock.now()},
    )


def _case(case_id: int) -> Case:
    case = Case.objects.filter(pk=case_id).select_related("assigned_to", "customer").first()
    if case is None:
        raise Http404
    return case


def _case_page(
    request: HttpRequest, case: Case, *, status: int = 200, **forms: Any
) -> HttpResponse:
    services.record_view(case=case, actor=request.user)
    templates = policy.reply_templates()
    chosen = request.GET.get("template", "")
    reply_form = forms.get("reply_form")
    if reply_form is None:
        initial = {}
        template = next((t for t in templates if t.key == chosen), None)
        if template is not None:
            initial["body"] = template.fill(name=case.name or _("there"), reference=case.reference)
        reply_form = ReplyForm(initial=initial)
    agents = selectors.care_agents()
    context = {
        "case": case,
        "messages_": selectors.thread(case),
        "links": list(case.links.all()),
        "household": selectors.household(case.household_id, clock.now()),
        "templates": templates,
        "chosen": chosen,
        "reply_form": reply_form,
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={"assigned_to": case.assigned_to_id or ""}, agents=agents),
        "close_form": forms.get("close_form") or CloseForm(prefix="close"),
        "now": clock.now(),
    }
    return render(request, "care/backoffice/case.html", context, status=status)


@care_only
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, _case(case_id))


def _back(case: Case) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("care:case", args=[case.pk]))


@care_only
@require_POST
def case_reply(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(case_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply(
                case=case,
                body=form.cleaned_data["body"],
                close=form.cleaned_data["close"],
                at=clock.now(),
                actor=request.user,
            )
            return _back(case)
        except DomainError as error:
            _show(form, error)
    return _case_page(request, case, status=400, reply_form=form)


@care_only
@require_POST
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(case_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                case=case,
                body=form.cleaned_data["note"],
                answered_by_phone=form.cleaned_data["answered_by_phone"],
                at=clock.now(),
                actor=request.user,
            )
            return _back(case)
        except DomainError as error:
            _show(form, error, {"body": "note"})
    return _case_page(request, case, status=400, note_form=form)


@care_only
@require_POST
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(case_id)
    form = AssignForm(request.POST, agents=selectors.care_agents())
    if form.is_valid():
        raw = form.cleaned_data["assigned_to"]
        to = get_user_model().objects.filter(pk=raw).first() if raw else None
        try:
            services.assign(case=case, to=to, at=clock.now(), actor=request.user)
            return _back(case)
        except DomainError as error:
            _show(form, error)
    return _case_page(request, case, status=400, assign_form=form)


@care_only
@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(case_id)
    form = CloseForm(request.POST, prefix="close")
    status = 400
    if form.is_valid():
        try:
            services.close(
                case=case, note=form.cleaned_data["note"], at=clock.now(), actor=request.user
            )
            return _back(case)
        except DomainError as error:
            _show(form, error)
            status = error.status
    return _case_page(request, case, status=status, close_form=form)


@care_only
def attachment(request: HttpRequest, case_id: int, attachment_id: int) -> HttpResponse:
    case = _case(case_id)
    found = selectors.attachment(case, attachment_id)
    if found is None:
        raise Http404
    content = services.open_attachment(attachment=found, actor=request.user)
    response = HttpResponse(content, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@care_only
@require_http_methods(["GET", "POST"])
def phone_case(request: HttpRequest) -> HttpResponse:
    form = PhoneCaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            customer = (
                get_user_model().objects.filter(email__iexact=data["email"]).first()
                if data["email"]
                else None
            )
            try:
                case = services.open_case(
                    channel=Channel.PHONE,
                    email=data["email"],
                    name=data["name"],
                    subject=data["subject"],
                    body=data["message"],
                    order_number=data["order_number"],
                    customer=customer,
                    at=clock.now(),
                    actor=request.user,
                )
                return _back(case)
            except DomainError as error:
                _show(form, error, {"body": "message"})
    return render(request, "care/backoffice/phone.html", {"form": form}, status=status)


@care_only
def chart(request: HttpRequest) -> HttpResponse:
    weeks = selectors.weekly_figures(weeks=CHART_WEEKS, today=clock.today_eastern())
    return render(
        request,
        "care/backoffice/chart.html",
        {
            "weeks": weeks,
            "share": charts.share_chart(weeks),
            "distribution": charts.distribution_chart(weeks),
            "legend": charts.LEGEND,
            "bucket_labels": [entry.label for entry in charts.LEGEND],
        },
    )
