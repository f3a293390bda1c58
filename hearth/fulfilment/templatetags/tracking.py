"""`{% tracking_timeline order %}` (load `tracking`): the order's tracking timeline in My Stuff."""

from __future__ import annotations

from typing import Any

from django import template

from hearth.fulfilment import selectors

register = template.Library()


@register.inclusion_tag("fulfilment/_timeline.html")
def tracking_timeline(order: Any) -> dict[str, Any]:
    return {"tracking": selectors.tracking_for(order)}
