from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from hearth.privacy import crypto, keys
from hearth.privacy.models import ConsentKind, ConsentRecord, Purpose
from hearth.privacy.services import record_consent

AT = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def key(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).decode().rstrip("=")


def raw_email(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM privacy_consentrecord WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_encrypt_round_trips_and_names_its_key(monkeypatch):
    monkeypatch.setenv("HEARTH_FIELD_KEYS", f"k1:{key(1)}")
    token = crypto.encrypt("613-555-0100")
    assert token.startswith("ef1:k1:")
    assert "613" not in token
    assert crypto.decrypt(token) == "613-555-0100"
    assert crypto.encrypt("613-555-0100") != token  # fresh nonce


def test_a_tampered_token_does_not_decrypt(monkeypatch):
    monkeypatch.setenv("HEARTH_FIELD_KEYS", f"k1:{key(1)}")
    token = crypto.encrypt("secret")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token.replace("ef1:k1:", "ef1:k1:A"))


def test_keyed_hash_normalises_and_depends_on_the_key(monkeypatch):
    assert crypto.keyed_hash(" Robin@Example.com ") == crypto.keyed_hash("robin@example.com")
    before = crypto.keyed_hash("robin@example.com")
    monkeypatch.setenv("HEARTH_HASH_KEY", key(7))
    assert crypto.keyed_hash("robin@example.com") != before


@pytest.mark.promise("PP-10")
def test_the_raw_database_row_of_an_encrypted_field_holds_no_plaintext(db, monkeypatch):
    monkeypatch.setenv("HEARTH_FIELD_KEYS", f"k1:{key(1)}")
    record = record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="test",
        at=AT,
        email="robin@example.com",
    )
    raw = raw_email(record.pk)
    assert "robin" not in raw and "example.com" not in raw
    assert raw.startswith("ef1:k1:")
    assert ConsentRecord.objects.get(pk=record.pk).email == "robin@example.com"
    assert (
        ConsentRecord.objects.filter(email_hash=crypto.keyed_hash("ROBIN@example.com")).count() == 1
    )


@pytest.mark.promise("PP-10")
def test_rotation_re_encrypts_and_old_ciphertexts_still_decrypt(db, monkeypatch):
    monkeypatch.setenv("HEARTH_FIELD_KEYS", f"old:{key(1)}")
    record = record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="test",
        at=AT,
        email="robin@example.com",
    )
    monkeypatch.setenv("HEARTH_FIELD_KEYS", f"new:{key(2)},old:{key(1)}")
    assert raw_email(record.pk).startswith("ef1:old:")
    assert ConsentRecord.objects.get(pk=record.pk).email == "robin@example.com"

    call_command("rotate_field_keys")
    assert raw_email(record.pk).startswith("ef1:new:")
    assert keys.rotate_field_keys()["privacy.ConsentRecord.email"] == 0  # idempotent

    monkeypatch.setenv("HEARTH_FIELD_KEYS", f"new:{key(2)}")
    assert ConsentRecord.objects.get(pk=record.pk).email == "robin@example.com"
