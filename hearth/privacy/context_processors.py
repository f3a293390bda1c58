from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hearth.core import clock
from hearth.privacy import selectors
from hearth.privacy.cookies import acknowledged_versions


def policy_notice(request: HttpRequest) -> dict[str, Any]:
    """``policy_notice``: material policy versions this visitor has not acknowledged (PP-21)."""
    user = getattr(request, "user", None)
    pending = selectors.material_notice_for(
        user=user, acknowledged_versions=acknowledged_versions(request), at=clock.now()
    )
    return {"policy_notice": pending}


def cookie_banner(request: HttpRequest) -> dict[str, Any]:
    """``cookie_banner``: ask for the cookie choice (no choice yet, or a new category, and no
    Global Privacy Control); ``cookie_categories``: the optional categories, for the banner."""
    from hearth.privacy import cookie_policy

    consent = cookie_policy.consent_for(request)
    if not consent.ask or request.path_info.startswith("/cookies/"):
        return {"cookie_banner": False}
    inv = cookie_policy.inventory()
    return {
        "cookie_banner": True,
        "cookie_categories": [c for c in inv.categories if not c.necessary],
    }
