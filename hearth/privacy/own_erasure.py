"""The privacy app's own part of an erasure (registered in apps.ready; no signals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hearth.privacy.erasure import EraserReport
from hearth.privacy.models import PolicyAcknowledgement


def erase_acknowledgements(user: Any, at: dt.datetime) -> EraserReport:
    pks = list(PolicyAcknowledgement.objects.filter(user=user).values_list("pk", flat=True))
    PolicyAcknowledgement.objects.filter(pk__in=pks).delete()
    return EraserReport(erased=[f"privacy.PolicyAcknowledgement#{pk}" for pk in pks])
