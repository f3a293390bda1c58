"""The Python widget writer gives exactly the HTML of Django's widget templates (issue #12 item 2),
for every widget kind it writes, with values, escaping, booleans, choices and errors; and the
checkout's and accounts' real forms render the same with both renderers."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from hearth.core.form_renderer import WidgetsInPython

TEMPLATES = DjangoTemplates()
PYTHON = WidgetsInPython()

CHOICES = [("a", "Apple & <pear>"), ("", "— none —"), (3, gettext_lazy("Three"))]
GROUPED = [("Fruit", [("a", "Apple"), ("b", "Banana")]), ("x", "Loose")]


class Every(forms.Form):
    text = forms.CharField(max_length=20, help_text="Help", label=gettext_lazy("Name"))
    optional = forms.CharField(required=False, widget=forms.TextInput(attrs={"autofocus": True}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    number = forms.IntegerField(min_value=1, max_value=9)
    decimal = forms.DecimalField(max_digits=6, decimal_places=2)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    url = forms.URLField(required=False, assume_scheme="https")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    tel = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "data-x": 'q"&<'}))
    box = forms.BooleanField(required=False)
    ticked = forms.BooleanField(initial=True, required=False)
    area = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": False}))
    select = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=GROUPED, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    grouped_radio = forms.ChoiceField(
        choices=GROUPED, widget=forms.RadioSelect(attrs={"class": "c&"}), required=False
    )
    boxes = forms.MultipleChoiceField(
        choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )


BOUND = {
    "text": 'Ada "the" <b>&',
    "email": "not an email",
    "number": "12",
    "decimal": "3.5",
    "password": "pw<>",
    "hidden": mark_safe("<i>safe</i>"),
    "date": "2026-11-30",
    "tel": "416",
    "box": "on",
    "area": "line one\n<line two>",
    "select": "3",
    "grouped": "b",
    "many": ["a", ""],
    "radio": "a",
    "boxes": ["3"],
    "grouped_radio": "b",
}


def _html(form: forms.Form, renderer: object) -> list[str]:
    form.renderer = renderer  # type: ignore[assignment]
    out = []
    for field in form:
        out.append(str(field))
        out.append(field.as_widget(attrs={"aria-describedby": "x_help x_errors"}))
        for sub in field.subwidgets:
            out.append(str(sub.tag()))
            out.append(str(sub.tag(wrap_label=True)))
    return out


@pytest.mark.parametrize(
    "make",
    [
        lambda: Every(),
        lambda: Every(BOUND),
        lambda: Every({}),
        lambda: Every(initial={"text": 7, "date": dt.date(2026, 1, 2), "select": "a"}),
        lambda: Every(auto_id=False),
        lambda: Every(BOUND, prefix="p&"),
    ],
)
def test_every_widget_kind_renders_as_django_templates_render_it(make) -> None:
    assert _html(make(), PYTHON) == _html(make(), TEMPLATES)


def _project_forms() -> list[type[forms.Form]]:
    found: list[type[forms.Form]] = []
    for module in ("hearth.checkout.forms", "hearth.accounts.forms", "hearth.privacy.forms"):
        for _name, obj in inspect.getmembers(importlib.import_module(module), inspect.isclass):
            if issubclass(obj, forms.Form) and not issubclass(obj, forms.ModelForm):
                found.append(obj)
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", _project_forms(), ids=lambda c: c.__name__)
def test_the_project_forms_render_as_django_templates_render_them(form_class) -> None:
    def make(data: dict | None) -> forms.Form | None:
        try:
            return form_class(data)
        except TypeError:
            return None  # needs arguments of its own: covered by its page's tests

    for data in (None, {}):
        python_form, template_form = make(data), make(data)
        if python_form is None or template_form is None:
            pytest.skip("the form needs constructor arguments")
        assert _html(python_form, PYTHON) == _html(template_form, TEMPLATES)
