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
