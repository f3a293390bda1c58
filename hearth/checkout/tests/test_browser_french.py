"""A Quebec shopper buys in French in a real browser (issue #16): Chromium asks for fr-CA, every
step reads French, the review and the confirmation name the taxes TPS and TVQ with French
amounts ("286,29 $") and dates, and the tax invoice that the worker emails afterwards (rendered
with no request behind it, so in the order's stored language) is a French PDF: its text,
extracted with pypdf, holds the French labels and TPS/TVQ."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from hearth.checkout.tests.conftest import AT, VISA, make_variant
from hearth.core import clock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium"
    ),
]


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.promise("TOS-4", "TOS-7", "TOS-11")
def test_a_quebec_guest_buys_in_french_and_gets_a_french_invoice_with_tps_and_tvq(
    live_server: Any, transactional_db: Any, smtp_server: Any, monkeypatch: Any, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hearth.orders.models import Order
    from hearth.privacy.services import load_policies

    settings.TASKS = {  # the worker below sends the emails, as in production
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_policies()
    make_variant("EO-ONE-CHR", price="249.00", stock=5, slug="ember-one", name="Ember One")
    with clock.frozen(AT), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(locale="fr-CA")  # Accept-Language: fr-CA
            page.set_default_timeout(10000)
            page.goto(f"{live_server.url}/shop/ember-one/")
            expect(page.locator("html")).to_have_attribute("lang", re.compile("^fr"))
            expect(page.get_by_text("249,00 $").first).to_be_visible()
            page.get_by_role("button", name="Ajouter au panier").click()
            page.get_by_role("link", name="Passer la commande").click()
            page.get_by_label("Oui, j’ai 18 ans ou plus.").check()
            page.get_by_role("button", name="Continuer").click()
            page.fill("#id_email", "marie@example.com")
            page.fill("#id_name", "Marie Tremblay")
            page.fill("#id_lines", "1 rue Sainte-Catherine")
            page.fill("#id_city", "Montréal")
            page.select_option("#id_province", "QC")
            page.fill("#id_postal_code", "H2X 1K4")
            page.check("input[name=payment_method][value=card]")
            page.get_by_role("button", name="Continuer vers les détails du paiement").click()

            page.get_by_label("Numéro de carte").fill(VISA)
            page.get_by_label("Mois d’expiration").select_option("12")
            page.get_by_label("Année d’expiration").fill("2030")
            page.locator("#id_cvc").fill("123")
            page.get_by_role("button", name=re.compile("^Payer")).click()

            expect(
                page.get_by_role("heading", name="Vérifiez et passez votre commande")
            ).to_be_visible()
            review = _plain(page.locator("main").inner_text())
            assert "TPS (5 %)" in review and "12,45 $" in review
            assert "TVQ (9,975 %)" in review and "24,84 $" in review
            assert "286,29 $" in review
            assert "GST" not in review and "QST" not in review
            for box in ("#id_adult", "#id_end_user", "#id_accurate"):
                page.check(box)
            page.get_by_role("button", name="Passer la commande").click()

            expect(page.get_by_role("heading", name=re.compile("^Merci"))).to_be_visible()
            number = page.locator("[data-order-number]").inner_text()
            confirmation = _plain(page.locator("main").inner_text())
            assert "2 novembre 2026" in confirmation
            assert "TPS (5 %)" in confirmation and "TVQ (9,975 %)" in confirmation
            assert "286,29 $" in confirmation
        finally:
            browser.close()

    order = Order.objects.get()
    assert (order.number, order.language) == (number, "fr-ca")
    call_command(
        "db_worker", "--batch", "--queue-name=*", "--no-startup-delay", "--no-reload", verbosity=0
    )
    messages = smtp_server.wait_for(2)
    subjects = {str(m["Subject"]) for m in messages}
    assert subjects == {
        f"Votre commande {number} est confirmée",
        f"Facture {order.invoice_number}",
    }
    [pdf] = [
        part.get_content()
        for m in messages
        for part in m.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]
    text = _plain("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    for expected in (
        "Facture",
        f"Numéro de facture : {order.invoice_number}",
        "Date de la facture : 2 novembre 2026",
        "Marchandises avant taxes",
        "TPS 5 %",
        "12,45 $",
        "TVQ 9,975 %",
        "24,84 $",
        "286,29 $",
    ):
        assert expected in text, expected
    assert "GST" not in text and "Tax invoice" not in text
