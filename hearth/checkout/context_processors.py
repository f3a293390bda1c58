"""The header's basket count (issue #16 item 6), read from the session the page reads anyway:
``{{ header_basket.items }}``, evaluated only when a template shows it."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from hearth.checkout.selectors import remembered_item_count


class HeaderBasket:
    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def items(self) -> int:
        return remembered_item_count(self._request)


def header_basket(request: HttpRequest) -> dict[str, HeaderBasket]:
    return {"header_basket": HeaderBasket(request)}
