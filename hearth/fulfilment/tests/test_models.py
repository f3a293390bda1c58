"""Staff's list of known forwarders: stored normalised, validated, read by the selector."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hearth.fulfilment.address import KNOWN_FORWARDERS, ForwarderAddress
from hearth.fulfilment.models import KnownForwarder
from hearth.fulfilment.selectors import check_delivery_address, known_forwarders


@pytest.mark.django_db
def test_known_forwarder_is_stored_with_normalised_postal_code_and_line() -> None:
    row = KnownForwarder.objects.create(line="  77  Parcel Depot Road ", postal_code="m9w5l7")
    row.refresh_from_db()
    assert (row.line, row.postal_code, str(row)) == (
        "77 Parcel Depot Road",
        "M9W 5L7",
        "77 Parcel Depot Road, M9W 5L7",
    )
    assert known_forwarders() == (ForwarderAddress("77 Parcel Depot Road", "M9W 5L7", ""),)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "postal_code", "fields"),
    [
        ("77 Parcel Depot Road", "D9W 5L7", ["postal_code"]),
        ("  ", "M9W 5L7", ["line"]),
        ("", "", ["line", "postal_code"]),
    ],
)
def test_known_forwarder_with_bad_values_fails_validation(
    line: str, postal_code: str, fields: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        KnownForwarder(line=line, postal_code=postal_code).full_clean()
    assert sorted(caught.value.message_dict) == fields
    assert KnownForwarder.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.promise("TOS-17")
def test_selector_refuses_staff_forwarder_and_passes_neighbours() -> None:
    KnownForwarder.objects.create(line="77 Parcel Depot Road", postal_code="M9W 5L7")
    refused = check_delivery_address(
        lines=["Suite 4411", "77 Parcel Depot Rd."],
        city="Toronto",
        province="ON",
        postal_code="M9W 5L7",
        country="CA",
    )
    neighbour = check_delivery_address(
        lines=["79 Parcel Depot Rd"], city="Toronto", province="ON", postal_code="M9W 5L7",
        country="CA",
    )  # fmt: skip
    assert [(p.code, p.field) for p in refused.problems] == [("freight_forwarder", "lines")]
    assert neighbour.accepted is True


@pytest.mark.django_db
@pytest.mark.promise("TOS-17")
def test_address_check_reads_only_the_forwarders_at_its_postal_code() -> None:
    """However long staff make the list, a check reads the rows at its own postal code (one
    indexed query, none when the postal code is not valid) and refuses exactly as before."""
    KnownForwarder.objects.bulk_create(
        KnownForwarder(line=f"{n} Depot Road", postal_code=f"M9W {n % 10}L{n % 7}")
        for n in range(1, 301)
    )
    KnownForwarder.objects.create(line="77 Parcel Depot Road", postal_code="K2P 1L4")
    assert len(known_forwarders("K2P 1L4")) == 1
    assert len(known_forwarders()) == 301

    with CaptureQueriesContext(connection) as queries:
        refused = check_delivery_address(
            lines=["77 parcel depot rd"], city="Ottawa", province="ON", postal_code="k2p1l4",
            country="CA",
        )  # fmt: skip
    assert [(p.code, p.field) for p in refused.problems] == [("freight_forwarder", "lines")]
    [query] = queries.captured_queries
    assert '"fulfilment_knownforwarder"."postal_code" = ' in query["sql"]
    assert "K2P 1L4" in query["sql"]

    with CaptureQueriesContext(connection) as queries:
        bad_postal = check_delivery_address(
            lines=["77 Parcel Depot Road"], city="Ottawa", province="ON", postal_code="K2P",
            country="CA",
        )  # fmt: skip
    assert [p.code for p in bad_postal.problems] == ["invalid_postal_code"]
    assert queries.captured_queries == []


@pytest.mark.django_db
@pytest.mark.promise("TOS-17")
def test_shipped_forwarders_are_refused_with_staff_rows_elsewhere() -> None:
    """The data file's forwarders are folded once at import; staff's rows are read per postal
    code: a shipped address is still refused when staff's list holds only other codes."""
    shipped = next(f for f in KNOWN_FORWARDERS if f.postal_code.startswith("L"))  # Ontario
    KnownForwarder.objects.create(line="1 Elsewhere Street", postal_code="K2P 1L4")
    result = check_delivery_address(
        lines=[f"Unit 4, {shipped.line}"], city="Mississauga", province="ON",
        postal_code=shipped.postal_code.replace(" ", "").lower(), country="CA",
    )  # fmt: skip
    assert [(p.code, p.field) for p in result.problems] == [("freight_forwarder", "lines")]
