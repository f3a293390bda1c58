"""Staff's list of known forwarders: stored normalised, validated, read by the selector."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from hearth.fulfilment.address import ForwarderAddress
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
