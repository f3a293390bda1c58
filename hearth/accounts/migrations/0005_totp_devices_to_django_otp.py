"""Staff authenticators move to django-otp (issue #17 item 6): each confirmed or pending device
becomes an otp_totp device with the same secret, so nobody has to set up their phone again; the
last used time step carries over, so a code used before the move cannot be replayed after it."""

import base64

from django.db import migrations


def to_django_otp(apps, schema_editor):
    Ours = apps.get_model("accounts", "TOTPDevice")
    Theirs = apps.get_model("otp_totp", "TOTPDevice")
    for device in Ours.objects.all().iterator():
        secret = device.secret  # decrypted by the field
        padded = secret + "=" * (-len(secret) % 8)
        Theirs.objects.create(
            user_id=device.user_id,
            name="Authenticator",
            confirmed=device.confirmed_at is not None,
            key=base64.b32decode(padded.upper()).hex(),
            last_t=device.last_used_step,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_language"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(to_django_otp, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(name="TOTPDevice"),
    ]
