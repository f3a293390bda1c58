"""Money: a frozen Decimal amount in a currency, quantised to the cent in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def round_cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent: the one rounding rule of PROMISES.md."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(raw: str) -> Decimal:
    """Parse a decimal string with at most two places and no sign, e.g. ``"199.00"``.

    Raises ``ValueError`` with a customer-readable reason for anything else.
    """
    if not isinstance(raw, str):
        raise ValueError('must be a decimal string such as "199.00"')
    text = raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError('must be a decimal string such as "199.00"') from None
    if not value.is_finite():
        raise ValueError("must be a finite amount")
    if value < 0:
        raise ValueError("must not be negative")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("must have at most two decimal places")
    return value.quantize(CENT)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "CAD"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal, never a float")
        object.__setattr__(self, "amount", round_cents(self.amount))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount:.2f}"

    @classmethod
    def zero(cls, currency: str = "CAD") -> Money:
        return cls(Decimal("0"), currency)
