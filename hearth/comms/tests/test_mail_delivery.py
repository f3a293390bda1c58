import pytest
from django.core import mail
from django.core.mail import EmailMessage

from hearth.comms.models import OutboxMessage


def test_mail_reaches_a_real_smtp_server(smtp_server):
    sent = mail.send_mail("Your order", "Thank you.", "orders@example.com", ["ada@example.com"])

    messages = smtp_server.wait_for(1)
    assert sent == 1
    assert len(messages) == 1
    assert messages[0]["To"] == "ada@example.com"
    assert messages[0]["Subject"] == "Your order"
    assert messages[0].get_content().strip() == "Thank you."


@pytest.mark.django_db
def test_outbox_backend_keeps_each_message_for_staff(settings):
    settings.EMAIL_BACKEND = "hearth.comms.backends.OutboxBackend"
    message = EmailMessage("Invoice", "Attached.", "orders@example.com", ["bo@example.com"])
    message.attach("invoice-1001.pdf", b"%PDF-1.4 demo", "application/pdf")

    message.send()

    stored = OutboxMessage.objects.get()
    assert stored.to_addresses == ["bo@example.com"]
    assert stored.subject == "Invoice"
    assert stored.attachment_names == ["invoice-1001.pdf"]
    assert b"Attached." in bytes(stored.raw)
