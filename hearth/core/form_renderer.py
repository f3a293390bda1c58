"""A form renderer that writes Django's common widgets in Python (issue #12 item 2).

Django renders every widget through its template stack (``text.html`` includes ``input.html``,
which includes ``attrs.html``; a select includes one template per option): on a checkout page of
twenty fields that was about 40 % of the page's server time. This renderer writes the same HTML,
byte for byte, for the widget templates listed in ``_WRITERS`` and hands every other template
(forms, fields, multiple inputs, anything an app overrides) to Django's template renderer.
``hearth/core/tests/test_form_renderer.py`` compares both renderers on each widget kind, with
and without values, errors and choices. Set as ``FORM_RENDERER`` in settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

_WIDGETS = "django/forms/widgets/"


def _text(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` with autoescape on."""
    return str(value) if isinstance(value, SafeData) else conditional_escape(str(value))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_text(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _input_option(widget: Mapping[str, Any]) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    ident = widget["attrs"].get("id")
    label_for = f' for="{conditional_escape(ident)}"' if ident else ""
    # input.html ends with a newline, which the include keeps inside the label.
    return f"<label{label_for}>{_input(widget)}\n {conditional_escape(widget['label'])}</label>"


def _textarea(widget: Mapping[str, Any]) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


def _option(widget: Mapping[str, Any]) -> str:
    return (
        f'<option value="{_text(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{conditional_escape(widget['label'])}</option>\n"
    )


def _select(widget: Mapping[str, Any]) -> str:
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _WIDGETS + "select_option.html":
                return ""  # an unusual option template: let Django render the whole select
            out.append("\n  " + _option(option))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_OPTION_TEMPLATES = frozenset(
    _WIDGETS + name for name in ("radio_option.html", "checkbox_option.html")
)


def _multiple_input(widget: Mapping[str, Any]) -> str:
    """``multiple_input.html`` (radio buttons, checkboxes): each option as its template writes
    it, with the newlines its included files end with."""
    ident = widget["attrs"].get("id")
    css = widget["attrs"].get("class")
    out = ["<div"]
    if ident:
        out.append(f' id="{conditional_escape(ident)}"')
    if css:
        out.append(f' class="{conditional_escape(css)}"')
    out.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            out.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        for option in options:
            if option["template_name"] not in _OPTION_TEMPLATES:
                return ""  # an unusual option template: let Django render the whole widget
            # radio_option.html includes input_option.html: each file ends with a newline.
            out.append(f"<div>\n    {_input_option(option)}\n\n</div>")
        if group:
            out.append("\n  </div>")
    out.append("\n</div>")
    return "".join(out)


_INPUTS = (
    "input",
    "text",
    "email",
    "number",
    "password",
    "hidden",
    "url",
    "search",
    "tel",
    "color",
    "date",
    "datetime",
    "time",
    "checkbox",
)
_WRITERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUTS},
    f"{_WIDGETS}textarea.html": _textarea,
    f"{_WIDGETS}radio.html": _multiple_input,
    f"{_WIDGETS}checkbox_select.html": _multiple_input,
    f"{_WIDGETS}multiple_input.html": _multiple_input,
    f"{_WIDGETS}select.html": _select,
    f"{_WIDGETS}select_option.html": _option,
    f"{_WIDGETS}input_option.html": _input_option,
    f"{_WIDGETS}radio_option.html": _input_option,
    f"{_WIDGETS}checkbox_option.html": _input_option,
}


class WidgetsInPython(DjangoTemplates):
    """Django's ``DjangoTemplates`` form renderer, with the common widgets written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = _WRITERS.get(template_name)
        widget = context.get("widget") if writer is not None else None
        if writer is not None and widget is not None:
            html = writer(widget).strip()
            if html:
                return SafeString(html)
        return mark_safe(super().render(template_name, context, request))  # noqa: S308
