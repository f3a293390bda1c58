from __future__ import annotations

import datetime as dt
import json

import pytest

from hearth.core import clock
from hearth.privacy import services
from hearth.privacy.models import ConsentRecord

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_current_policies_are_public(client, policies):
    response = client.get("/api/v1/privacy/policies/current")
    assert response.status_code == 200
    versions = {
        v["kind"]: (v["version"], v["last_updated"], v["material"], v["url"])
        for v in response.json()["versions"]
    }
    assert versions == {
        "privacy": ("2026.2", "2026-09-15", True, "/privacy/"),
        "terms": ("2025.1", "2025-01-15", False, "/terms/"),
        "eula": ("2025.1", "2025-01-15", False, "/eula/"),
    }


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/privacy/me/consents"),
        ("get", "/api/v1/privacy/me/export"),
        ("get", "/api/v1/privacy/requests"),
    ],
)
def test_personal_endpoints_need_a_signed_in_user(client, db, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.promise("PP-8")
def test_grant_and_withdraw_over_the_api(client, policies, make_user):
    user = make_user()
    client.force_login(user)
    granted = post(
        client, "/api/v1/privacy/me/consents", {"purpose": "market_research", "granted": True}
    )
    assert granted.status_code == 200
    state = {c["purpose"]: c for c in granted.json()["consents"]}
    assert (
        state["market_research"]["granted"],
        state["market_research"]["kind"],
        state["market_research"]["policy_version"],
    ) == (True, "express", "privacy-2026.2")
    withdrawn = post(
        client, "/api/v1/privacy/me/consents", {"purpose": "market_research", "granted": False}
    )
    assert {c["purpose"]: c["granted"] for c in withdrawn.json()["consents"]}[
        "market_research"
    ] is False
    assert ConsentRecord.objects.filter(user=user).count() == 2
    assert client.get("/api/v1/privacy/me/consents").json() == withdrawn.json()


def test_a_bad_consent_body_is_a_400_with_fields(client, policies, make_user):
    client.force_login(make_user())
    response = post(
        client, "/api/v1/privacy/me/consents", {"purpose": "telepathy", "granted": "maybe"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"purpose", "granted"}


def test_export_returns_my_data_only(client, policies, make_user):
    me, other = make_user(email="robin@example.com"), make_user(email="sam@example.com")
    for user in (me, other):
        services.record_consent(
            purpose="marketing_email", granted=True, kind="express", source="t", at=NOW, user=user
        )
    client.force_login(me)
    data = post(client, "/api/v1/privacy/me/export", {"password": "correct horse battery 9"}).json()
    assert len(data["data"]["privacy"]["ConsentRecord"]) == 1


@pytest.mark.promise("PP-15")
def test_api_export_asks_for_the_password_again_like_the_web_download(client, policies, make_user):
    me = make_user(email="robin@example.com", password="correct horse battery 9")
    client.force_login(me)
    refused = client.get("/api/v1/privacy/me/export")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reauth_required"
    assert "data" not in refused.json()
    wrong = post(client, "/api/v1/privacy/me/export", {"password": "nope"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert "data" not in wrong.json()
    right = post(client, "/api/v1/privacy/me/export", {"password": "correct horse battery 9"})
    assert right.status_code == 200
    assert right.json()["data"]["accounts"]["User"][0]["email"] == "robin@example.com"
    # The password entered again opens the same 5-minute window as on the site.
    assert client.get("/api/v1/privacy/me/export").status_code == 200


def test_erasure_needs_the_password_again(client, policies, make_user):
    client.force_login(make_user(password="correct horse battery 9"))
    wrong = post(client, "/api/v1/privacy/me/erasure", {"password": "nope"})
    assert wrong.status_code == 400
    assert set(wrong.json()["error"]["fields"]) == {"password"}
    right = post(client, "/api/v1/privacy/me/erasure", {"password": "correct horse battery 9"})
    assert right.status_code == 200
    assert right.json()["erased"] is True


def test_erasure_refused_by_a_blocker_is_a_409_with_the_date(client, policies, make_user):
    from hearth.privacy import erasure
    from hearth.privacy.rules import Blocker

    def blocker(user, at):
        return [Blocker("open_order", "Order 1001 is still open.", dt.date(2026, 12, 20))]

    client.force_login(make_user(password="correct horse battery 9"))
    erasure.register_blocker(blocker)
    try:
        response = post(
            client, "/api/v1/privacy/me/erasure", {"password": "correct horse battery 9"}
        )
    finally:
        erasure.unregister_blocker(blocker)
    assert response.status_code == 409
    body = response.json()["error"]
    assert body["code"] == "erasure_blocked"
    assert body["fields"] == {"available_on": "2026-12-20"}
    assert "Order 1001 is still open." in body["message"]


def _pass_second_factor(client):
    from django_otp import DEVICE_ID_SESSION_KEY

    from hearth.accounts.models import User
    from hearth.accounts.tests.conftest import verified_device_id

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(
        User.objects.get(pk=session["_auth_user_id"])
    )
    session.save()


def test_only_privacy_officers_see_the_request_queue(client, policies, make_user, privacy_officer):
    customer = make_user()
    services.open_data_request(user=customer, kind="access", at=NOW)
    client.force_login(make_user(is_staff=True))
    assert client.get("/api/v1/privacy/requests").status_code == 401  # no second factor yet
    _pass_second_factor(client)
    assert client.get("/api/v1/privacy/requests").status_code == 403  # staff, not the officer
    client.force_login(customer)
    assert client.get("/api/v1/privacy/requests").status_code == 403
    client.force_login(privacy_officer)
    _pass_second_factor(client)
    rows = client.get("/api/v1/privacy/requests").json()
    assert [(r["kind"], r["deadline"], r["days_left"], r["overdue"]) for r in rows] == [
        ("access", "2026-12-20", 30, False)
    ]


@pytest.mark.promise("PP-15")
def test_wrong_erasure_passwords_count_toward_the_sign_in_throttle(client, policies, make_user):
    from hearth.accounts.models import User

    me = make_user(email="robin@example.com", password="correct horse battery 9")
    client.force_login(me)
    for _attempt in range(5):
        wrong = post(client, "/api/v1/privacy/me/erasure", {"password": "nope"})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "bad_credentials")
    # Even the right password is now refused, and nothing is erased.
    blocked = post(client, "/api/v1/privacy/me/erasure", {"password": "correct horse battery 9"})
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (429, "throttled")
    assert "Too many failed sign-ins" in blocked.json()["error"]["message"]
    assert User.objects.get(pk=me.pk).email == "robin@example.com"
    # The same throttle guards signing in and the export.
    export = post(client, "/api/v1/privacy/me/export", {"password": "correct horse battery 9"})
    assert export.status_code == 429
    sign_in = post(
        client.__class__(),
        "/api/v1/accounts/signin",
        {"email": "robin@example.com", "password": "correct horse battery 9"},
    )
    assert sign_in.status_code == 429
