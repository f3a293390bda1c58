"""The campaign pages of the back office (issue #14 item 5): the marketing role composes,
sees who is in and who is out and why before sending, previews, sends a test to itself and
sends; every change audited; other roles refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from hearth.accounts.models import User
from hearth.accounts.services import assign_role, sync_roles
from hearth.comms import rules, suppression
from hearth.comms.models import Campaign, CampaignStatus, OutboundMessage
from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.privacy.services import record_consent, record_implied_consent

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }


def staff(role: str, email: str) -> tuple[User, Client]:
    from hearth.accounts.tests.conftest import pass_second_factor

    sync_roles()
    user = User.objects.create_user(email=email, password="x" * 12, is_staff=True)
    assign_role(user=user, role_key=role, actor=None)
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return user, client


def people() -> None:
    for name in ("express", "implied", "gone", "bounced"):
        User.objects.create_user(email=f"{name}@example.com", password="x" * 12)
    users = {u.email.split("@")[0]: u for u in User.objects.filter(is_staff=False)}
    record_consent(
        purpose="marketing_email", granted=True, kind="express", source="t",
        at=T0 - dt.timedelta(days=5), user=users["express"],
    )  # fmt: skip
    record_implied_consent(
        implied_from="purchase", source="order", at=T0 - dt.timedelta(days=30),
        user=users["implied"],
    )  # fmt: skip
    record_consent(
        purpose="marketing_email", granted=True, kind="express", source="t",
        at=T0 - dt.timedelta(days=5), user=users["bounced"],
    )  # fmt: skip
    suppression.suppress(
        address="bounced@example.com", reason=rules.SuppressionReason.HARD_BOUNCE, at=T0,
        source="t",
    )  # fmt: skip


def test_marketing_composes_sees_the_audience_and_why_then_sends(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people()
    user, client = staff("marketing", "mkt@example.com")

    with clock.frozen(T0):
        created = client.post(
            "/admin/comms/campaign/add/",
            {"subject": "Winter offers", "body": "Warm **sound** for Ember & Oak fans."},
        )
    assert created.status_code == 302, created.content.decode()[:2000]
    news = Campaign.objects.get()
    assert news.status == CampaignStatus.DRAFT

    with clock.frozen(T0):
        page = client.get(f"/admin/comms/campaign/{news.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 customers would get it" in html
    assert "1 by express consent, 1 by implied consent" in html
    assert "<td>1</td>" in html  # one no-consent, one suppressed
    assert "srcdoc=" in html and "Unsubscribe" in html  # the preview

    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/comms/campaign/",
            {"action": "send_test_to_me", "_selected_action": [news.pk]},
        )
    assert list(OutboundMessage.objects.values_list("to_addresses", flat=True)) == [
        ["mkt@example.com"]
    ]

    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/comms/campaign/", {"action": "send_now", "_selected_action": [news.pk]})
    news.refresh_from_db()
    assert news.status == CampaignStatus.SENT
    assert news.audience_figures["excluded"] == {
        "no_consent": 1, "expired": 0, "withdrawn": 0, "suppressed": 1,
    }  # fmt: skip
    sent = sorted(
        a[0]
        for a in OutboundMessage.objects.filter(kind="marketing").values_list(
            "to_addresses", flat=True
        )
    )
    assert sent == ["express@example.com", "implied@example.com", "mkt@example.com"]
    actions = set(
        AuditEvent.objects.filter(object_type="comms.Campaign", actor_id=user.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == {"created", "test_sent", "state_changed"}


def test_a_campaign_page_is_refused_to_other_roles() -> None:
    _user, client = staff("warehouse", "wh@example.com")
    assert client.get("/admin/comms/campaign/").status_code == 403


def test_the_form_refuses_a_campaign_when_sender_identification_is_missing(
    settings: Any,
) -> None:
    _user, client = staff("marketing", "mkt@example.com")
    settings.HEARTH_CASL_SENDER = {"name": "", "mailing_address": "", "contact": ""}

    answer = client.post("/admin/comms/campaign/add/", {"subject": "s", "body": "b"})

    assert answer.status_code == 200
    assert "sender identification" in answer.content.decode()
    assert not Campaign.objects.exists()


def test_a_sent_campaign_cannot_be_changed_from_its_page() -> None:
    from hearth.comms import campaigns

    _user, client = staff("marketing", "mkt@example.com")
    news = campaigns.save_campaign(campaign=None, subject="Sent", body="b", at=T0, actor=None)
    Campaign.objects.filter(pk=news.pk).update(status=CampaignStatus.SENT)

    answer = client.post(
        f"/admin/comms/campaign/{news.pk}/change/", {"subject": "Changed", "body": "x"}
    )

    assert answer.status_code in (200, 302)
    news.refresh_from_db()
    assert (news.subject, news.body) == ("Sent", "b")
