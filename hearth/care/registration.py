"""What care adds to the rest of Hearth when it starts: its back-office queue, and (once comms
has one) its handler for inbound email."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hearth.core.backoffice import Queue, register_queue


def _open_count() -> int:
    from hearth.care import selectors

    return selectors.open_count()


def register() -> None:
    register_queue(
        Queue(
            key="care.cases",
            label=_("Customer questions waiting for care"),
            count=_open_count,
            url="/back-office/care/",
            roles=("care_agent",),
            order=20,
        )
    )
