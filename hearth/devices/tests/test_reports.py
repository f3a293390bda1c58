"""Partner reports through the database and the API (PP-20): rollups only, suppression, each
partner its own service, and the back office's charts for the roles that may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import re
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.test import Client

from hearth.accounts.roles import ROLE_KEYS
from hearth.accounts.tests.conftest import customer, staff_client  # noqa: F401 (fixtures)
from hearth.devices import reports, rollups, services
from hearth.devices.models import Household, TelemetryEvent, Tier
from hearth.devices.models_reports import Partner
from hearth.devices.partners import create_partner

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday of 2026-W48
WEEK = "2026-W47"
MON = dt.date(2026, 11, 16)
_ids = itertools.count(1)


def opted_in_household() -> Household:
    hh, _token = services.create_household(serials=[f"EO-AMP-{next(_ids):05d}"], at=AT)
    return services.register_household(
        household=hh,
        email=f"owner{hh.id}@example.com",
        postal_code="K1A 0B1",
        country="CA",
        tier=Tier.REGISTERED_OPT_IN,
        at=AT,
    )


def small_fleet(*, tunewave: int, radiolia: int, seed: int = 7) -> list[Household]:
    """``tunewave`` households using tunewave, ``radiolia`` using radiolia (the first few use
    both), each with usage and some dropouts spread over W47 and a little of W46 and W48."""
    rng = random.Random(seed)
    fleet = [opted_in_household() for _ in range(max(tunewave, radiolia))]
    for n, hh in enumerate(fleet):
        used = [s for s, size in (("tunewave", tunewave), ("radiolia", radiolia)) if n < size]
        events = []
        for service in used:
            for k in range(rng.randint(1, 4)):
                # the first event in the week, others sometimes outside it
                day = rng.randint(0, 6) if k == 0 else rng.randint(-2, 7)
                ts = dt.datetime.combine(MON, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(
                    days=day, minutes=rng.randint(0, 600)
                )
                cid = f"e{next(_ids)}"
                events.append(
                    {
                        "client_event_id": cid,
                        "device_ts": ts.isoformat(),
                        "type": "usage",
                        "service": service,
                        "service_minutes": rng.randint(0, 300),
                        "queue_actions": rng.randint(0, 5),
                    }
                )
                if rng.random() < 0.5:
                    events.append(
                        {
                            "client_event_id": cid + "d",
                            "device_ts": ts.isoformat(),
                            "type": "playback_error",
                            "service": service,
                            "kind": rng.choice(["dropout", "unavailable"]),
                            "count": rng.randint(1, 3),
                        }
                    )
        result = services.ingest_batch(household=hh, events=events, at=AT)
        assert result.rejected == []
    rollups.roll_up_all(at=AT, settle=dt.timedelta(0))
    return fleet


def recomputed_from_raw(service: str, week_start: dt.date, minimum: int) -> dict:
    """The report's cells computed straight from raw events (what the rollups must equal)."""
    week = TelemetryEvent.objects.filter(
        payload__service=service, day__gte=week_start, day__lt=week_start + dt.timedelta(days=7)
    )
    households = set()
    minutes = dropouts = 0
    daily: dict[tuple[str, dt.date], set[int]] = defaultdict(set)
    for hid, etype, day, payload in week.values_list("household_id", "type", "day", "payload"):
        households.add(hid)
        if etype == "usage" and "service_minutes" in payload:
            minutes += payload["service_minutes"]
            daily[("minutes", day)].add(hid)
        if etype == "playback_error" and payload["kind"] == "dropout":
            dropouts += payload["count"]
            daily[("dropouts", day)].add(hid)
    sources = {
        "households": len(households),
        "minutes": max((len(v) for (m, _d), v in daily.items() if m == "minutes"), default=0),
        "dropouts": max((len(v) for (m, _d), v in daily.items() if m == "dropouts"), default=0),
    }
    values = {"households": len(households), "minutes": minutes, "dropouts": dropouts}
    return {
        name: {
            "value": None if sources[name] < minimum else values[name],
            "suppressed": sources[name] < minimum,
        }
        for name in values
    }


@pytest.fixture
def partner_token() -> str:
    _partner, token = create_partner(name="Tunewave Inc.", service="tunewave", at=AT, actor=None)
    return token


def get(path: str, token: str | None) -> object:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get(path, **headers)


@pytest.mark.promise("PP-20")
@pytest.mark.parametrize("minimum", [1, 3, 20])
def test_rollup_report_equals_a_recomputation_from_raw_events(settings, minimum):
    settings.HEARTH_PARTNER_MIN_HOUSEHOLDS = minimum
    small_fleet(tunewave=24, radiolia=6)
    for service in ("tunewave", "radiolia"):
        for week_start in (MON - dt.timedelta(days=7), MON, MON + dt.timedelta(days=7)):
            report = reports.service_week_report(service=service, week_start=week_start)
            assert report.as_dict()["cells"] == recomputed_from_raw(service, week_start, minimum)


@pytest.mark.promise("PP-20")
def test_reports_read_rollups_only_never_raw_events(django_assert_num_queries):
    small_fleet(tunewave=3, radiolia=2)
    TelemetryEvent.objects.all().delete()  # raw events purged: reports are unchanged
    with django_assert_num_queries(2):  # one query per rollup table
        report = reports.service_week_report(service="tunewave", week_start=MON)
    assert report.cells["households"].value is None  # 3 households: suppressed


@pytest.mark.promise("PP-20")
def test_partner_reads_its_own_report_as_json(partner_token):
    small_fleet(tunewave=22, radiolia=4)
    response = get(f"/api/v1/partners/reports?week={WEEK}", partner_token)
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == "tunewave"
    assert body["week"] == WEEK
    assert body["cells"] == recomputed_from_raw("tunewave", MON, 20)
    assert body["cells"]["households"] == {"value": 22, "suppressed": False}
    assert body["differential_privacy"] == {"enabled": False, "epsilon": None, "mechanism": None}


@pytest.mark.promise("PP-20")
def test_no_identifier_appears_in_any_report_output(partner_token):
    fleet = small_fleet(tunewave=22, radiolia=4)
    outputs = [
        get(f"/api/v1/partners/reports?week={WEEK}", partner_token).content.decode(),
        get(f"/api/v1/partners/reports.csv?week={WEEK}", partner_token).content.decode(),
    ]
    for text in outputs:
        for hh in fleet:
            assert str(hh.id) not in text
            assert hh.email not in text
        assert "acct" not in text
        assert "@" not in text
        assert not re.search(r"\d{12}", text)


@pytest.mark.promise("PP-20")
def test_a_cell_below_the_threshold_never_appears(partner_token):
    small_fleet(tunewave=19, radiolia=0)
    body = get(f"/api/v1/partners/reports?week={WEEK}", partner_token).json()
    assert body["cells"] == {
        "households": {"value": None, "suppressed": True},
        "minutes": {"value": None, "suppressed": True},
        "dropouts": {"value": None, "suppressed": True},
    }
    rows = list(
        csv.DictReader(
            io.StringIO(
                get(f"/api/v1/partners/reports.csv?week={WEEK}", partner_token).content.decode()
            )
        )
    )
    assert [(r["metric"], r["value"], r["suppressed"]) for r in rows] == [
        ("households", "", "true"),
        ("minutes", "", "true"),
        ("dropouts", "", "true"),
    ]


@pytest.mark.promise("PP-20")
def test_a_partner_cannot_read_another_partners_report(partner_token):
    _other, other_token = create_partner(name="Radiolia", service="radiolia", at=AT, actor=None)
    small_fleet(tunewave=22, radiolia=22)
    for path in ("/api/v1/partners/reports", "/api/v1/partners/reports.csv"):
        response = get(f"{path}?week={WEEK}&service=radiolia", partner_token)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert get(f"{path}?week={WEEK}&service=tunewave", partner_token).status_code == 200
    # each token reads its own service, whatever it asks for by default
    assert get(f"/api/v1/partners/reports?week={WEEK}", other_token).json()["service"] == "radiolia"


@pytest.mark.promise("PP-20")
@pytest.mark.parametrize("token", [None, "hp_" + "0" * 64, "not-a-partner-token"])
def test_reports_need_a_partner_token(token):
    response = get(f"/api/v1/partners/reports?week={WEEK}", token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_device_token_is_not_a_partner_token():
    _hh, device_token = services.create_household(serials=["EO-ONE-7777"], at=AT)
    assert get(f"/api/v1/partners/reports?week={WEEK}", device_token).status_code == 401


def test_an_inactive_partner_is_refused(partner_token):
    Partner.objects.update(active=False)
    assert get(f"/api/v1/partners/reports?week={WEEK}", partner_token).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"), [("week=2026-47", "week"), ("week=2026-W60", "week"), ("", "week")]
)
def test_a_bad_week_is_a_400(partner_token, query, field):
    response = get(f"/api/v1/partners/reports?{query}", partner_token)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_csv_report(partner_token):
    small_fleet(tunewave=22, radiolia=0)
    response = get(f"/api/v1/partners/reports.csv?week={WEEK}", partner_token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tunewave-2026-W47.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0] == "service,week,metric,value,suppressed,min_households,epsilon"
    assert lines[1] == "tunewave,2026-W47,households,22,false,20,"


def test_differential_privacy_noise_prints_its_epsilon(settings, partner_token):
    settings.HEARTH_PARTNER_DP_EPSILON = 1.0
    small_fleet(tunewave=22, radiolia=0)
    body = get(f"/api/v1/partners/reports?week={WEEK}", partner_token).json()
    assert body["differential_privacy"] == {
        "enabled": True,
        "epsilon": 1.0,
        "mechanism": "laplace (OpenDP)",
    }
    assert isinstance(body["cells"]["households"]["value"], int)
    csv_text = get(f"/api/v1/partners/reports.csv?week={WEEK}", partner_token).content.decode()
    assert csv_text.splitlines()[1].endswith(",20,1.0")


def test_create_partner_command_prints_the_token_once(capsys):
    call_command("create_partner", "--name", "Tunewave Inc.", "--service", "tunewave")
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1]
    assert token.startswith("hp_")
    partner = Partner.objects.get()
    assert partner.service == "tunewave"
    assert token not in partner.token_hash
    assert get(f"/api/v1/partners/reports?week={WEEK}", token).status_code == 200


def test_the_api_documents_the_partner_endpoints():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/partners/reports" in paths
    assert "/api/v1/partners/reports.csv" in paths


# --- Back office: charts for the roles that may see aggregate reports.

BACK_OFFICE = "/back-office/devices/reports/"


@pytest.mark.parametrize(
    ("principal", "status"),
    [("anonymous", 302), ("customer", 302)]
    + [(r, 200 if r in ("administrator", "care_agent") else 403) for r in ROLE_KEYS],
)
def test_back_office_report_charts_authorisation(principal, status, staff_client, customer):  # noqa: F811
    if principal == "anonymous":
        client = Client()
    elif principal == "customer":
        client = Client()
        client.force_login(customer)
    else:
        client = staff_client(principal)
    response = client.get(BACK_OFFICE)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")


def test_back_office_charts_show_households_and_minutes(staff_client, settings):  # noqa: F811
    settings.HEARTH_PARTNER_MIN_HOUSEHOLDS = 2
    fleet = small_fleet(tunewave=3, radiolia=1)
    client = staff_client("care_agent")
    response = client.get(BACK_OFFICE + "?until=2026-W48&weeks=3")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" width="760"') == 3
    assert "tunewave · 2026-W47: 3</title>" in html  # households bar
    assert "2026-W46" in html and "2026-W48" in html
    assert "radiolia · 2026-W47: suppressed</title>" in html
    for hh in fleet:
        assert hh.email not in html
        assert str(hh.id) not in html
