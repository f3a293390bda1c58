"""Signed links for guests (no account): a credit note's PDF from the /track/ order page.

The track page shows an order only to whoever gave its number, email and postal code; each
credit note listed there links to its PDF by a token signed for that note and its order, valid
for :data:`CREDIT_NOTE_MAX_AGE` (look the order up again for a fresh link). A forged, altered or
stale token finds nothing (the view answers 404, like another person's order in My Stuff).
"""

from __future__ import annotations

from django.core import signing

from hearth.orders.models import CreditNote

CREDIT_NOTE_SALT = "hearth.orders.guest_credit_note"
CREDIT_NOTE_MAX_AGE = 24 * 3600  # a day from the look-up


def credit_note_token(note: CreditNote) -> str:
    """The signed token of ``note``'s guest link (its order's number and its own)."""
    return signing.dumps([note.order.number, note.number], salt=CREDIT_NOTE_SALT, compress=True)


def credit_note_from_token(token: str) -> CreditNote | None:
    """The credit note a valid, unexpired token names; ``None`` for anything else."""
    try:
        order_number, number = signing.loads(
            token, salt=CREDIT_NOTE_SALT, max_age=CREDIT_NOTE_MAX_AGE
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(order_number, str) or not isinstance(number, str):
        return None
    return (
        CreditNote.objects.select_related("order")
        .filter(number=number, order__number=order_number)
        .first()
    )
