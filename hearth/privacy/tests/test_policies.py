from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from hearth.core import clock
from hearth.privacy import selectors
from hearth.privacy.cookies import COOKIE_NAME
from hearth.privacy.models import PolicyAcknowledgement, PolicyDocument, Processor

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


def test_load_policies_is_idempotent(db):
    call_command("load_policies")
    call_command("load_policies")
    assert PolicyDocument.objects.count() == 4
    assert Processor.objects.count() == 4
    assert {k: d.version for k, d in selectors.versions_in_force(NOW).items()} == {
        "privacy": "2026.2",
        "terms": "2025.1",
        "eula": "2025.1",
    }


@pytest.mark.promise("PP-21")
@pytest.mark.parametrize(
    ("url", "title", "updated"),
    [
        ("/privacy/", "Privacy Policy", "2026-09-15"),
        ("/terms/", "Terms of Sale", "2025-01-15"),
        ("/eula/", "End-User Licence Agreement", "2025-01-15"),
    ],
)
def test_each_policy_page_shows_its_last_updated_date(client, policies, url, title, updated):
    page = client.get(url).content.decode()
    assert f"<h1>{title}</h1>" in page
    assert f'datetime="{updated}"' in page


@pytest.mark.promise("PP-21")
def test_each_version_has_its_own_last_updated_date(policies):
    dates = list(
        PolicyDocument.objects.filter(kind="privacy")
        .order_by("effective_at")
        .values_list("last_updated", flat=True)
    )
    assert dates == [dt.date(2025, 1, 15), dt.date(2026, 9, 15)]


def test_the_policy_page_publishes_the_privacy_officer(client, policies):
    page = client.get("/privacy/").content.decode()
    assert "Privacy Officer" in page and "privacy@example.com" in page


def test_the_french_policy_page(client, policies):
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
    assert "<h1>Politique de confidentialité</h1>" in page
    assert "Responsable de la protection des renseignements personnels" in page


@pytest.mark.promise("PP-21")
def test_material_notice_shows_on_home_until_an_anonymous_visitor_acknowledges(client, policies):
    home = client.get("/").content.decode()
    assert "We have changed our policies" in home
    client.post("/cookies/", {"action": "accept_all"})  # the cookie is functional (PP-11)
    response = client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[COOKIE_NAME].value == "privacy-2026.2"  # only the version key
    assert "We have changed our policies" not in client.get("/").content.decode()


@pytest.mark.promise("PP-21", "PP-11")
def test_a_visitor_who_refused_functional_cookies_acknowledges_for_the_browser_session(
    client, policies
):
    response = client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
    assert response.status_code == 302
    assert COOKIE_NAME not in response.cookies
    assert "We have changed our policies" not in client.get("/").content.decode()


@pytest.mark.promise("PP-21")
def test_signed_in_customer_acknowledgement_is_recorded(client, policies, make_user):
    user = make_user()
    client.force_login(user)
    assert [d.key for d in selectors.pending_acknowledgements(user=user, at=NOW)] == [
        "privacy-2026.2"
    ]
    assert "We have changed our policies" in client.get("/").content.decode()
    page = client.get("/privacy/acknowledge/?next=/my-stuff/")
    assert page.status_code == 200
    response = client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/my-stuff/"})
    assert response["Location"] == "/my-stuff/"
    ack = PolicyAcknowledgement.objects.get(user=user)
    assert (ack.document.key, ack.at) == ("privacy-2026.2", NOW)
    assert selectors.pending_acknowledgements(user=user, at=NOW) == []
    client.cookies.clear()
    client.force_login(user)
    assert "We have changed our policies" not in client.get("/").content.decode()


def test_acknowledge_refuses_offsite_next_and_missing_confirmation(client, policies):
    response = client.post(
        "/privacy/acknowledge/", {"confirm": "on", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"
    assert client.post("/privacy/acknowledge/", {"next": "/"}).status_code == 400


def test_no_notice_without_a_material_version(client, db):
    PolicyDocument.objects.create(
        kind="privacy",
        version="1",
        effective_at=NOW - dt.timedelta(days=1),
        last_updated=dt.date(2026, 11, 19),
        title="P",
        body="b",
        title_fr="P",
        body_fr="b",
    )
    assert "We have changed our policies" not in client.get("/").content.decode()
