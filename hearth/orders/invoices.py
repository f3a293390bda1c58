"""The tax invoice as a PDF (TOS-11), drawn with ReportLab: no system libraries.

The seller's legal name and address and GST/HST registration number (settings.HEARTH_BRAND), the
invoice number and date, the buyer, each line, each tax component with its rate, and the totals.
Written uncompressed and invariant (same order, same bytes), so it can be checked as text.
Each document is in its order's language (``Order.language``, English when blank), its amounts,
rates and dates in that language's formats (:mod:`hearth.core.l10n`), each tax by its label
(TPS, TVQ... :mod:`hearth.tax.labels`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hearth.core.l10n import human_date, money, percent
from hearth.core.languages import choose_language
from hearth.orders.models import CreditNote, Order
from hearth.orders.selectors import order_price
from hearth.tax.labels import tax_label


def _component(code: str, rate: Decimal | str, province: str) -> str:
    """ "GST 5%" / "TPS 5 %", "QST 9.975%" / "TVQ 9,975 %" in the active language."""
    return f"{tax_label(code, province)} {percent(rate)}"


def render_invoice_pdf(order: Order) -> bytes:
    """The order's tax invoice as PDF bytes; the amounts from :func:`order_price` (the one
    pricing path, checked against the charge)."""
    with translation.override(choose_language(order.language)):
        return _invoice_pdf(order)


def _invoice_pdf(order: Order) -> bytes:
    price = order_price(order)
    brand: Mapping[str, Any] = settings.HEARTH_BRAND  # str values, a list for the address
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=LETTER, invariant=1, pageCompression=0)
    pdf.setTitle(f"{_('Tax invoice')} {order.invoice_number}")
    pdf.setAuthor(brand.get("legal_name", ""))
    width, height = LETTER
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    def text(x: float, value: str, *, size: int = 10, bold: bool = False, align: str = "l") -> None:
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        if align == "r":
            pdf.drawRightString(x, y, value)
        else:
            pdf.drawString(x, y, value)

    def down(step: float = 5.5) -> None:
        nonlocal y
        y -= step * mm
        if y < 25 * mm:
            pdf.showPage()
            y = height - 25 * mm

    text(left, _("Tax invoice"), size=16, bold=True)
    down(9)
    text(left, brand.get("legal_name", ""), bold=True)
    down()
    for line in brand.get("legal_address", []):
        text(left, line)
        down()
    text(left, _("GST/HST registration number: %(n)s") % {"n": brand.get("gst_hst_number", "")})
    down()
    if any(c.code == "QST" for c in price.tax) and brand.get("qst_number"):
        text(left, _("QST registration number: %(n)s") % {"n": brand["qst_number"]})
        down()
    down(3)
    placed_on = human_date(order.placed_at)
    text(left, _("Invoice number: %(n)s") % {"n": order.invoice_number})
    down()
    text(left, _("Invoice date: %(d)s") % {"d": placed_on})
    down()
    text(left, _("Order number: %(n)s") % {"n": order.number})
    down(8)
    text(left, _("Bill and ship to"), bold=True)
    down()
    for line in [order.contact_name, *order.line_list]:
        text(left, line)
        down()
    text(left, f"{order.city} {order.province}  {order.postal_code}  {order.country}")
    down()
    if order.bc_pst_number:
        text(left, _("Purchaser's BC PST number: %(n)s") % {"n": order.bc_pst_number})
        down()
    down(4)
    text(left, _("SKU"), bold=True)
    text(left + 35 * mm, _("Product"), bold=True)
    text(right - 55 * mm, _("Qty"), bold=True, align="r")
    text(right - 30 * mm, _("Unit price"), bold=True, align="r")
    text(right, _("Amount"), bold=True, align="r")
    down()
    for order_line in order.lines.all():
        text(left, order_line.sku)
        text(left + 35 * mm, f"{order_line.name} ({order_line.colour})"[:48])
        text(right - 55 * mm, str(order_line.quantity), align="r")
        text(right - 30 * mm, money(order_line.unit_price), align="r")
        text(right, money(order_line.total), align="r")
        down()
    down(3)

    def total_row(label: str, amount: str, bold: bool = False) -> None:
        text(right - 30 * mm, label, align="r", bold=bold)
        text(right, amount, align="r", bold=bold)
        down()

    total_row(_("Goods before tax"), money(price.goods))
    if price.discount.amount:
        total_row(_("Discount"), money(-price.discount.amount))
    total_row(_("Shipping"), money(price.shipping))
    total_row(_("Taxable subtotal"), money(price.subtotal))
    for component in price.tax:
        total_row(
            _component(component.code, component.rate, order.province),
            money(component.amount),
        )
    total_row(_("Total tax"), money(price.total_tax))
    total_row(_("Total (CAD)"), money(price.total), bold=True)
    down(4)
    text(left, _("Prices in Canadian dollars. Thank you for your order."), size=8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render_credit_note_pdf(note: CreditNote) -> bytes:
    """A credit note as PDF bytes (issue #13, TOS-24): its number in its own series, the invoice
    it credits, the returned units (with their serials and discount share), each tax component
    reversed at the invoice's rate, and the total refunded to the original payment method."""
    with translation.override(choose_language(note.order.language)):
        return _credit_note_pdf(note)


def _credit_note_pdf(note: CreditNote) -> bytes:
    order = note.order
    brand: Mapping[str, Any] = settings.HEARTH_BRAND
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=LETTER, invariant=1, pageCompression=0)
    width, height = LETTER
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    def text(x: float, value: str, *, size: int = 10, bold: bool = False, align: str = "l") -> None:
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        if align == "r":
            pdf.drawRightString(x, y, value)
        else:
            pdf.drawString(x, y, value)

    def down(step: float = 5.5) -> None:
        nonlocal y
        y -= step * mm
        if y < 25 * mm:
            pdf.showPage()
            y = height - 25 * mm

    pdf.setTitle(f"{_('Credit note')} {note.number}")
    pdf.setAuthor(brand.get("legal_name", ""))
    text(left, _("Credit note"), size=16, bold=True)
    down(9)
    text(left, brand.get("legal_name", ""), bold=True)
    down()
    for line in brand.get("legal_address", []):
        text(left, line)
        down()
    text(left, _("GST/HST registration number: %(n)s") % {"n": brand.get("gst_hst_number", "")})
    down()
    components = list(note.tax_components)
    if any(c["code"] == "QST" for c in components) and brand.get("qst_number"):
        text(left, _("QST registration number: %(n)s") % {"n": brand["qst_number"]})
        down()
    down(3)
    text(left, _("Credit note number: %(n)s") % {"n": note.number})
    down()
    text(left, _("Date: %(d)s") % {"d": human_date(note.issued_at)})
    down()
    placed_on = human_date(order.placed_at)
    text(
        left,
        _("Credits tax invoice %(n)s of %(d)s (order %(o)s)")
        % {"n": order.invoice_number, "d": placed_on, "o": order.number},
    )
    down()
    text(left, _("Return: %(r)s") % {"r": note.reference})
    down(8)
    text(left, _("Customer"), bold=True)
    down()
    for line in [order.contact_name, *order.line_list]:
        text(left, line)
        down()
    text(left, f"{order.city} {order.province}  {order.postal_code}  {order.country}")
    down()
    if order.bc_pst_number:
        text(left, _("Purchaser's BC PST number: %(n)s") % {"n": order.bc_pst_number})
        down()
    down(4)
    text(left, _("SKU"), bold=True)
    text(left + 35 * mm, _("Product"), bold=True)
    text(right - 55 * mm, _("Qty"), bold=True, align="r")
    text(right - 30 * mm, _("Unit price"), bold=True, align="r")
    text(right, _("Amount"), bold=True, align="r")
    down()
    for credit_line in note.lines.all():
        text(left, credit_line.sku)
        text(left + 35 * mm, f"{credit_line.name} ({credit_line.colour})"[:48])
        text(right - 55 * mm, str(credit_line.quantity), align="r")
        text(right - 30 * mm, money(credit_line.unit_price), align="r")
        text(right, money(credit_line.unit_price * credit_line.quantity), align="r")
        down()
        if credit_line.serials:
            text(
                left + 35 * mm,
                _("Serials: %(s)s") % {"s": ", ".join(credit_line.serials)},
                size=8,
            )
            down()
    down(3)

    def total_row(label: str, amount: str, bold: bool = False) -> None:
        text(right - 30 * mm, label, align="r", bold=bold)
        text(right, amount, align="r", bold=bold)
        down()

    total_row(_("Goods before tax"), money(note.goods))
    if note.discount:
        total_row(_("Discount"), money(-note.discount))
    if note.shipping:
        total_row(_("Shipping"), money(note.shipping))
    total_row(_("Taxable subtotal"), money(note.subtotal))
    for component in components:
        total_row(
            _component(component["code"], component["rate"], order.province),
            money(component["amount"]),
        )
    total_row(_("Total tax"), money(note.total_tax))
    total_row(_("Total credited (CAD)"), money(note.total), bold=True)
    down(4)
    text(
        left,
        _("Refunded to the original payment method. Amounts in Canadian dollars."),
        size=8,
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
