"""The name a reader sees for each tax component (issue #16 item 2): one mapping, translated.

The engine and the stored orders speak in codes (GST, HST, PST, QST: the contract of
``POST /api/v1/tax/quote``); a person reads "GST" / "TPS", "HST" / "TVH", "QST" / "TVQ",
"PST" / "TVP", and Manitoba's (and, before 2010-07-01, Ontario's) PST under its own name, the
retail sales tax "RST" / "TVD". Never the raw "GST (0.05)": the rate is shown beside the label
as a percentage (:func:`hearth.core.l10n.percent`).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from hearth.tax.rates import GST, HST, PST, QST

#: component code -> (short label, full name), each translated (context "tax" keeps the short
#: labels apart from any other "PST" in the catalogue).
LABELS: dict[str, tuple[Promise, Promise]] = {
    GST: (pgettext_lazy("tax", "GST"), pgettext_lazy("tax", "Goods and Services Tax")),
    HST: (pgettext_lazy("tax", "HST"), pgettext_lazy("tax", "Harmonized Sales Tax")),
    PST: (pgettext_lazy("tax", "PST"), pgettext_lazy("tax", "Provincial Sales Tax")),
    QST: (pgettext_lazy("tax", "QST"), pgettext_lazy("tax", "Quebec Sales Tax")),
}
RST = (pgettext_lazy("tax", "RST"), pgettext_lazy("tax", "Retail Sales Tax"))
#: (component, province) whose tax goes by another name: Manitoba's and Ontario's PST is their
#: retail sales tax (RST).
BY_PROVINCE: dict[tuple[str, str], tuple[Promise, Promise]] = {(PST, "MB"): RST, (PST, "ON"): RST}


def _pair(code: str, province: str | None) -> tuple[Promise, Promise] | None:
    key = (code or "").strip().upper()
    if province:
        named = BY_PROVINCE.get((key, province.strip().upper()))
        if named is not None:
            return named
    return LABELS.get(key)


def tax_label(code: str, province: str | None = None) -> str:
    """The short label of a component in the active language: ``"GST"`` / ``"TPS"``; an unknown
    code is shown as it is."""
    pair = _pair(code, province)
    return str(pair[0]) if pair else code


def tax_name(code: str, province: str | None = None) -> str:
    """The full name of a component in the active language: ``"Goods and Services Tax"`` /
    ``"Taxe sur les produits et services"``; an unknown code is shown as it is."""
    pair = _pair(code, province)
    return str(pair[1]) if pair else code
