"""A form's "(required)"/"(optional)" labels and its privacy notice are made once per form,
language and fields, then reused (issue #12): each instance shows what a fresh one would, in the
language active when it is made (PP-4)."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from hearth.checkout.forms import AddressForm, ContactForm
from hearth.privacy import notices


def _fresh(form_class: type[forms.Form]) -> tuple[dict[str, str], object]:
    """What the mixin makes for a new instance, without the reuse."""
    form = form_class()
    shown = [(n, f) for n, f in form_class.base_fields.items() if not f.widget.is_hidden]
    labels, notice, _alive = notices.NoticeFormMixin._make_notice(form, shown)
    return labels, notice


@pytest.mark.promise("PP-4")
@pytest.mark.parametrize("form_class", [ContactForm, AddressForm])
@pytest.mark.parametrize("language", ["en", "fr-ca"])
def test_reused_labels_and_notice_are_those_of_a_fresh_form(form_class, language) -> None:
    with translation.override(language):
        first, second = form_class(), form_class()
        labels, notice = _fresh(form_class)
        for form in (first, second):
            assert {n: form.fields[n].label for n in labels} == labels
            assert form.privacy_notice == notice
        required = next(n for n, f in first.fields.items() if f.required and n in labels)
        assert first.fields[required].label.endswith(f"({gettext('required')})")


def test_a_form_whose_label_changed_gets_its_own_marked_label() -> None:
    field = ContactForm.base_fields["email"]
    before = field.label
    try:
        for text in ("Email one", "Email two"):
            field.label = gettext_lazy(text)  # a new label object each time
            assert ContactForm().fields["email"].label == f"{text} (required)"
    finally:
        field.label = before
    assert ContactForm().fields["email"].label == f"{before} (required)"
