"""Test data for discount codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hearth.discounts.models import DiscountCode


def make_code(code: str = "SPRING10", **overrides: Any) -> DiscountCode:
    fields: dict[str, Any] = {
        "code": code,
        "kind": "percent",
        "value": Decimal("10.00"),
        "valid_from": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "valid_until": dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    }
    fields.update(overrides)
    return DiscountCode.objects.create(**fields)
