"""``{% field_row field %}`` renders exactly what the template ``accounts/includes/field.html``
rendered before it moved to Python (issue #12 item 2): label, widget with aria-describedby,
help text and errors beside the field, for every field of the site's forms, unbound, bound with
errors and bound with values."""

from __future__ import annotations

import importlib
import inspect
from importlib.util import find_spec

import pytest
from django import forms
from django.apps import apps
from django.template import Context, Template

from hearth.accounts.templatetags.accounts_forms import field_row

# accounts/includes/field.html as it was, the reference.
REFERENCE = Template(
    "{% load i18n accounts_forms %}{% if field.is_hidden %}{{ field }}{% else %}\n"
    '<div class="field{% if field.errors %} field--error{% endif %}">\n'
    '  {% if field.widget_type == "checkbox" %}\n'
    '    {% accessible_widget field %} <label for="{{ field.auto_id }}">{{ field.label }}</label>\n'
    "  {% else %}\n"
    '    <label for="{{ field.auto_id }}">{{ field.label }}</label>\n'
    "    {% accessible_widget field %}\n"
    "  {% endif %}\n"
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_help">{{ field.help_text }}</p>{% endif %}\n'  # noqa: E501
    '  {% if field.errors %}<ul class="errors" id="{{ field.auto_id }}_errors">{% for error in field.errors %}<li>{{ error }}</li>{% endfor %}</ul>{% endif %}\n'  # noqa: E501
    "</div>{% endif %}\n"
)


def _forms() -> list[type[forms.Form]]:
    found: dict[str, type[forms.Form]] = {}
    for config in apps.get_app_configs():
        module = f"{config.name}.forms"
        if config.name.startswith("hearth.") and find_spec(module):
            for _name, obj in inspect.getmembers(importlib.import_module(module), inspect.isclass):
                if issubclass(obj, forms.Form) and obj.__module__ == module:
                    found[f"{module}.{obj.__name__}"] = obj
    return [found[k] for k in sorted(found)]


class Sample(forms.Form):
    name = forms.CharField(help_text="Say <who>", label="Name & title")
    agree = forms.BooleanField()
    secret = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


def _rows(form: forms.Form) -> tuple[list[str], list[str]]:
    new = [str(field_row(field)) for field in form]
    old = [REFERENCE.render(Context({"field": field})) for field in form]
    # The include kept the file's last newline; the tag leaves it to the template.
    return new, [row.removesuffix("\n") for row in old]


@pytest.mark.parametrize(
    "data", [None, {}, {"name": "<Ada>", "agree": "on", "secret": "s", "kind": "z"}]
)
def test_a_field_row_is_what_the_field_template_rendered(data) -> None:
    new, old = _rows(Sample(data))
    assert new == old


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", _forms(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_site_form_renders_its_rows_as_the_field_template_did(form_class) -> None:
    rendered = 0
    for data in (None, {}, {name: "x" for name in form_class.base_fields}):
        try:
            form = form_class(data)
        except TypeError:
            continue  # needs arguments of its own: its page's tests render it
        new, old = _rows(form)
        assert new == old
        rendered += 1
    if not rendered:
        pytest.skip("the form needs constructor arguments")
