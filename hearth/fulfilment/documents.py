"""The packing slip as a PDF (ReportLab, no system libraries): the order number, what is in the
parcel with each unit's serial, and where it goes. No prices (the parcel may be a gift). In the
order's language: the customer reads it, whoever prints it."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hearth.core.languages import choose_language
from hearth.fulfilment.selectors import Packing


def render_packing_slip_pdf(packing: Packing) -> bytes:
    with translation.override(choose_language(packing.order.language)):
        return _packing_slip_pdf(packing)


def _packing_slip_pdf(packing: Packing) -> bytes:
    order = packing.order
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=LETTER, invariant=1, pageCompression=0)
    title = _("Packing slip %(number)s") % {"number": order.number}
    pdf.setTitle(title)
    width, height = LETTER
    left = 20 * mm
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(left, y, str(settings.HEARTH_BRAND.get("name", "")))
    pdf.drawRightString(width - left, y, title)
    barcode = Code128(order.number, barHeight=12 * mm, barWidth=0.35 * mm, humanReadable=True)
    y -= 22 * mm
    barcode.drawOn(pdf, width - left - barcode.width, y)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(left, y + 14 * mm, _("Ship to:"))
    line_y = y + 9 * mm
    for text in (
        order.contact_name,
        *order.line_list,
        f"{order.city} {order.province}  {order.postal_code}",
    ):
        pdf.drawString(left + 5 * mm, line_y, text)
        line_y -= 5 * mm
    y = min(y, line_y) - 10 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(left, y, _("Quantity"))
    pdf.drawString(left + 25 * mm, y, _("Product"))
    pdf.drawString(left + 110 * mm, y, _("Serial numbers"))
    pdf.setFont("Helvetica", 10)
    for pack_line in packing.lines:
        y -= 6 * mm
        line = pack_line.line
        pdf.drawString(left, y, str(line.quantity))
        pdf.drawString(left + 25 * mm, y, f"{line.name} ({line.colour}) {line.sku}")
        serials = [u.serial for u in pack_line.units] or ["—"]
        for i, serial in enumerate(serials):
            if i:
                y -= 5 * mm
            pdf.drawString(left + 110 * mm, y, serial)
    y -= 14 * mm
    pdf.setFont("Helvetica", 9)
    pdf.drawString(
        left,
        y,
        _("Questions? %(email)s, %(phone)s")
        % {
            "email": settings.HEARTH_BRAND.get("care_email", ""),
            "phone": settings.HEARTH_BRAND.get("care_phone", ""),
        },
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
