"""Render the policy files' small Markdown subset: "## " headings, "- " lists, paragraphs; link a
recorded policy version key to its stable address."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hearth.privacy.models import PolicyKind

register = template.Library()


@register.filter
def policy_text(text: str) -> SafeString:
    parts: list[str] = []
    for block in text.strip().split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            parts.append(f"<h2>{escape(lines[0][3:])}</h2>")
            lines = lines[1:]
            if not lines:
                continue
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p>{escape(' '.join(lines))}</p>")
    return mark_safe("\n".join(parts))  # noqa: S308 (every piece escaped above)


@register.filter
def policy_version_url(key: str) -> str:
    """The stable address of a recorded version key ("terms-2025.1" -> /legal/terms/2025.1/),
    or "" for an empty or malformed key (TOS-25: an order links the terms it was sold under)."""
    kind, _dash, version = (key or "").partition("-")
    if kind not in PolicyKind.values or not version:
        return ""
    return reverse("privacy:version", args=[kind, version])
