"""Care's forms: the support form (PP-4: its purpose stated, each field marked required or
optional and saying what it is for) and the back office's case forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.care import policy
from hearth.core.fields import EmailAddressField
from hearth.privacy.notices import NoticeFormMixin


class SupportForm(NoticeFormMixin, forms.Form):
    """A customer's question, signed in or as a guest (``/support/``)."""

    collection_point = "support_request"

    email = EmailAddressField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send our answer here; reply to it to add anything."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        required=False,
        help_text=_("Only so that we can greet you by name."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    order_number = forms.CharField(
        label=_("Order number"),
        max_length=40,
        required=False,
        help_text=_("If your question is about an order: it helps us find it."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("A few words, used as the title of your question."),
    )
    message = forms.CharField(
        label=_("Your question"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, and what you would like us to do."),
    )
    attachment = forms.FileField(
        label=_("A file"),
        required=False,
        help_text=_("Only to help us answer."),
    )

    def __init__(self, *args: Any, signed_in_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signed_in_email:
            self.fields["email"].initial = signed_in_email
        limit = policy.attachments().max_bytes // (1024 * 1024)
        self.fields["attachment"].help_text = _(
            "A photo, a screenshot or a receipt (PDF, PNG, JPEG or text, up to %(mb)s MB), only "
            "to help us answer."
        ) % {"mb": limit}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Sent by email from care's address; the customer's answer comes back here."),
    )
    close = forms.BooleanField(label=_("Close the case with this reply"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen by staff only; never sent."),
    )
    answered_by_phone = forms.BooleanField(
        label=_("This note records an answer I gave the customer by phone"),
        required=False,
        help_text=_("Counts as the answer to the customer (the one-working-day promise)."),
    )


class AssignForm(forms.Form):
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args: Any, agents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", str(_("Nobody (back to the queue)")))]
        choices += [(str(a.pk), a.full_name or a.email) for a in agents]
        field = self.fields["assigned_to"]
        if isinstance(field, forms.ChoiceField):
            field.choices = choices


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (internal note, optional)"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PhoneCaseForm(forms.Form):
    """An agent opens a case for a question asked by phone."""

    email = EmailAddressField(
        label=_("Customer's email address"),
        max_length=254,
        required=False,
        help_text=_("Where our answers go; leave empty if the customer gave none."),
    )
    name = forms.CharField(label=_("Customer's name"), max_length=200, required=False)
    order_number = forms.CharField(label=_("Order number"), max_length=40, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("The customer's question, as they asked it"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
