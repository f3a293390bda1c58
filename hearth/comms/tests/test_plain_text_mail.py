"""Plain-text email parts and subjects are not HTML-escaped (issue #14 item 11): "Ember & Oak"
arrives as written, through a real email of the shop, and every text template is rendered by
the plain-text engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import get_template, render_to_string

from hearth.comms.models import OutboundMessage
from hearth.privacy.services import open_data_request

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_real_email_shows_the_brand_with_its_ampersand_not_an_entity() -> None:
    open_data_request(user=None, kind="access", at=T0, email="ada@example.com")

    sent = OutboundMessage.objects.get()
    assert "Ember & Oak Audio" in sent.body
    assert "&amp;" not in sent.body
    assert "&amp;" not in sent.subject


def test_every_text_email_template_renders_unescaped() -> None:
    names = sorted(
        str(path.relative_to(path.parents[2])) for path in ROOT.glob("*/templates/*/email/*.txt")
    )
    assert names  # the shop has text emails
    for name in names:
        assert get_template(name).backend.name == "text", name
    text = render_to_string(
        "privacy/email/request_received.txt", {"brand": {"name": "Ember & Oak <Audio>"}}
    )
    assert "Ember & Oak <Audio>" in text


def test_html_templates_still_escape() -> None:
    html = engines["django"].from_string("{{ v }}").render({"v": "Ember & Oak"})
    assert html == "Ember &amp; Oak"
