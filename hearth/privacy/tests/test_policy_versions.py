"""Material-change notices survive later minor versions; every version at a stable address
(issue #10 item 13; PP-21, TOS-25)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hearth.core import clock
from hearth.privacy import rules, selectors
from hearth.privacy.cookies import COOKIE_NAME
from hearth.privacy.models import PolicyDocument
from hearth.privacy.templatetags.privacy_text import policy_version_url

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
NOTICE = "We have changed our policies"
V = rules.DocumentVersion


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


def minor_privacy_version(version: str = "2026.3", *, days_ago: int = 5) -> PolicyDocument:
    """A minor revision after the material 2026.2 (data file) took effect."""
    return PolicyDocument.objects.create(
        kind="privacy",
        version=version,
        effective_at=NOW - dt.timedelta(days=days_ago),
        last_updated=(NOW - dt.timedelta(days=days_ago)).date(),
        material=False,
        title="Privacy Policy",
        body="## Minor\n\nWe fixed a typo.",
        title_fr="Politique de confidentialité",
        body_fr="## Mineur\n\nCoquille corrigée.",
        summary="A typo fixed.",
    )


@pytest.mark.promise("PP-21")
@pytest.mark.parametrize(
    ("history", "acknowledged", "due"),
    [
        ([V("p-1", False)], set(), None),
        ([V("p-1", False), V("p-2", True)], set(), "p-2"),
        ([V("p-1", False), V("p-2", True), V("p-3", False)], set(), "p-2"),
        ([V("p-1", False), V("p-2", True), V("p-3", False), V("p-4", False)], set(), "p-2"),
        ([V("p-1", False), V("p-2", True), V("p-3", False)], {"p-2"}, None),
        ([V("p-1", False), V("p-2", True), V("p-3", False)], {"p-3"}, "p-2"),
        ([V("p-2", True), V("p-3", False), V("p-4", True)], {"p-2"}, "p-4"),
        ([V("p-2", True), V("p-3", False), V("p-4", True)], {"p-4"}, None),
        ([], set(), None),
    ],
)
def test_the_latest_material_version_stays_due_until_acknowledged(history, acknowledged, due):
    assert rules.material_notice_due(history, acknowledged) == due


@pytest.mark.promise("PP-21")
def test_a_material_notice_stays_on_home_after_a_later_minor_version(client, policies):
    minor_privacy_version()
    assert selectors.version_in_force("privacy", NOW).version == "2026.3"
    home = client.get("/").content.decode()
    assert NOTICE in home
    # The notice links the material version itself, at its stable address.
    assert 'href="/legal/privacy/2026.2/"' in home
    client.post("/cookies/", {"action": "accept_all"})  # the cookie is functional (PP-11)
    response = client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
    assert response.cookies[COOKIE_NAME].value == "privacy-2026.2"
    assert NOTICE not in client.get("/").content.decode()


@pytest.mark.promise("PP-21")
def test_a_signed_in_customer_still_owes_the_material_acknowledgement_after_a_minor_one(
    client, policies, make_user
):
    user = make_user()
    minor_privacy_version()
    minor_privacy_version("2026.4", days_ago=1)
    assert [d.key for d in selectors.pending_acknowledgements(user=user, at=NOW)] == [
        "privacy-2026.2"
    ]
    client.force_login(user)
    client.post("/privacy/acknowledge/", {"confirm": "on", "next": "/"})
    assert selectors.pending_acknowledgements(user=user, at=NOW) == []
    # Nothing acknowledged on the customer's behalf for the minor versions.
    assert list(user.policy_acknowledgements.values_list("document__version", flat=True)) == [
        "2026.2"
    ]


@pytest.mark.promise("PP-21")
def test_no_material_notice_before_the_material_version_takes_effect(client, policies):
    assert (
        selectors.material_notice_for(
            user=None, acknowledged_versions=set(), at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
        )
        == []
    )


@pytest.mark.promise("PP-21")
@pytest.mark.promise("TOS-25")
@pytest.mark.parametrize(
    ("url", "version", "updated"),
    [
        ("/legal/privacy/2025.1/", "2025.1", "2025-01-15"),
        ("/legal/privacy/2026.2/", "2026.2", "2026-09-15"),
        ("/legal/terms/2025.1/", "2025.1", "2025-01-15"),
        ("/legal/eula/2025.1/", "2025.1", "2025-01-15"),
    ],
)
def test_every_published_version_is_readable_at_a_stable_address(
    client, policies, url, version, updated
):
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Version {version}" in text
    assert f'datetime="{updated}"' in text


@pytest.mark.promise("PP-21")
@pytest.mark.promise("TOS-25")
def test_a_past_version_says_when_it_was_in_force_and_links_the_current_one(client, policies):
    text = client.get("/legal/privacy/2025.1/").content.decode()
    assert "This is version 2025.1, in force from January 15, 2025 until October 1, 2026." in text
    assert 'href="/legal/privacy/2026.2/"' in text
    # The text shown is that version's own, not the current one's.
    old = PolicyDocument.objects.get(kind="privacy", version="2025.1")
    current = PolicyDocument.objects.get(kind="privacy", version="2026.2")
    first_heading = re.search(r"^## (.+)$", old.body, re.MULTILINE)
    assert first_heading is not None and first_heading.group(1) in text
    assert f"<em>What changed:</em> {old.summary}" in text
    assert f"<em>What changed:</em> {current.summary}" not in text
    # The version in force says nothing of the kind.
    assert "in force from" not in client.get("/legal/privacy/2026.2/").content.decode()


@pytest.mark.promise("PP-21")
@pytest.mark.promise("TOS-25")
def test_the_policy_page_links_the_index_and_every_earlier_version(client, policies):
    minor_privacy_version()
    page = client.get("/privacy/").content.decode()
    assert 'href="/legal/privacy/"' in page
    assert 'href="/legal/privacy/2026.2/"' in page
    assert 'href="/legal/privacy/2025.1/"' in page
    index = client.get("/legal/privacy/").content.decode()
    table = index[index.index("<table>") : index.index("</table>")]
    links = re.findall(r'href="(/legal/privacy/[^"]+/)"', table)
    assert links == ["/legal/privacy/2026.3/", "/legal/privacy/2026.2/", "/legal/privacy/2025.1/"]


@pytest.mark.parametrize(
    "url",
    [
        "/legal/privacy/1999.1/",
        "/legal/cookies/2025.1/",
        "/legal/cookies/",
        "/legal/privacy/2027.1/",
    ],
)
def test_unknown_or_not_yet_effective_versions_are_not_found(client, policies, url):
    PolicyDocument.objects.create(
        kind="privacy",
        version="2027.1",
        effective_at=NOW + dt.timedelta(days=30),
        last_updated=NOW.date(),
        title="Privacy Policy",
        body="Future.",
        title_fr="Politique",
        body_fr="Futur.",
    )
    assert client.get(url).status_code == 404


@pytest.mark.promise("TOS-25")
@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("terms-2025.1", "/legal/terms/2025.1/"),
        ("privacy-2026.2", "/legal/privacy/2026.2/"),
        ("", ""),
        ("terms", ""),
        ("cookies-1", ""),
    ],
)
def test_a_recorded_version_key_resolves_to_its_stable_address(key, url):
    assert policy_version_url(key) == url


@pytest.mark.promise("TOS-25")
def test_an_order_page_links_the_terms_version_it_was_sold_under(client, policies, make_user):
    from django.urls import reverse

    from hearth.orders.services import place_order
    from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft, make_variant

    make_variant("EO-ONE-OAK", "199.00", 5)
    user = make_user(email="ada@example.com")
    order = place_order(
        draft=draft(customer=user),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="terms-link",
        channel="web",
        at=T0,
    )
    assert order.terms_version == "terms-2025.1"
    minor_terms = PolicyDocument.objects.get(kind="terms", version="2025.1")
    PolicyDocument.objects.create(
        kind="terms",
        version="2026.9",
        effective_at=NOW - dt.timedelta(days=1),
        last_updated=NOW.date(),
        title=minor_terms.title,
        body="Later terms.",
        title_fr=minor_terms.title_fr,
        body_fr="Conditions ultérieures.",
    )
    client.force_login(user)
    page = client.get(reverse("orders:my_order", args=[order.number])).content.decode()
    assert 'href="/legal/terms/2025.1/"' in page
    assert "/legal/terms/2026.9/" not in page
    assert client.get("/legal/terms/2025.1/").status_code == 200
